// What a reader of the READMEs is expected to supply: configuration and objects their own app
// already has. scripts/check-readme-snippets.mjs compiles every README code block with these
// declarations and nothing else, so a block must import everything else it uses. Add a name
// here only for a value a reader would bring themselves, never for something skewguard, an SDK
// or another library provides (import it in the block instead).

// Where and as whom: an endpoint or SAS/storage URL, an account and its key.
declare const url: string;
declare const account: string;
declare const key: string;
declare const accountName: string;
declare const accountKey: string;
declare const connectionString: string; // AZURE_STORAGE_CONNECTION_STRING
declare const HMAC_ACCESS_ID: string;
declare const HMAC_SECRET: string;

// What: a bucket and a key, the bytes or file to store, a request's headers, text a person pasted.
declare const Bucket: string;
declare const Key: string;
declare const bytes: Buffer;
declare const body: Buffer;
declare const headers: Record<string, string>;
declare const text: string;
declare const file: Blob; // in a browser, the File from an <input type="file">

// The app's own objects: an S3 client, a command it sends, an Azure blob client, an event handler.
declare const s3: import("@aws-sdk/client-s3").S3Client;
declare const client: import("@aws-sdk/client-s3").S3Client;
declare const command: import("@aws-sdk/client-s3").GetObjectCommand;
declare const blob: import("@azure/storage-blob").BlockBlobClient;
declare const onEvent: (event: import("@skewguard/diagnosis").SkewguardEvent) => void;
