import { XMLBuilder } from "fast-xml-parser";
import { spacedHexBytes } from "./sigv4.js";

/**
 * The error responses of the S3 test server, in the two shapes clients meet: Amazon S3's and
 * the Google Cloud Storage XML API's (what an S3 client pointed at storage.googleapis.com with
 * HMAC keys gets back).
 *
 * S3 shapes follow responses quoted in public bug reports (aws/aws-sdk-php#612,
 * versity/versitygw#1514 for RequestTimeTooSkewed; minio/minio#2638 and dmjio/s3-signer#16 for
 * "Request is not yet valid", whose X-Amz-Date really is epoch milliseconds).
 *
 * GCS shapes: SignatureDoesNotMatch with Message "Access denied." and the old message in Details
 * (siderolabs/talos-backup#64, a 2026 capture at docs.claritycommissions.com); expired signed
 * URLs are 400 ExpiredToken "Invalid argument." with "Request signature expired at:" in Details
 * (captured 2026 in a public API review; older captures have the message "The provided token
 * has expired."). No capture of GCS's answer to a stale *header*-signed request could be found:
 * the server answers RequestTimeTooSkewed with S3's message but none of S3's evidence fields, so
 * clients must learn from the `Date` header, the harder case. Treat that one as an assumption.
 */

export type ServerFlavor = "s3" | "gcs";

export interface S3ErrorResponse {
  status: number;
  code: string;
  message: string;
  /** GCS's `<Details>`, right after `<Message>`. */
  details?: string;
  /** Evidence elements after Message (and Details), in order. */
  fields?: Array<[string, string]>;
}

const S3_SIGNATURE_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const GCS_SIGNATURE_DETAILS =
  "The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.";
export const SKEW_MESSAGE =
  "The difference between the request time and the current time is too large.";

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@_" });

/** Builds a document from an object whose key order is the element order. */
export function xmlDocument(
  root: string,
  content: Record<string, unknown>,
  flavor: ServerFlavor,
): string {
  // GCS writes its declaration with single quotes; clients do not care, people comparing do.
  const declaration =
    flavor === "gcs"
      ? "<?xml version='1.0' encoding='UTF-8'?>"
      : '<?xml version="1.0" encoding="UTF-8"?>\n';
  return declaration + builder.build({ [root]: content });
}

export interface ErrorIds {
  requestId: string;
  hostId: string;
}

/**
 * @param ids S3's `RequestId` and `HostId`; without them the document has none.
 * @param minimal keep only Code and Message (and S3's ids): a server that gives no evidence in
 *   its body, so clients must rely on headers.
 */
export function errorXml(
  error: S3ErrorResponse,
  flavor: ServerFlavor,
  ids: ErrorIds | undefined,
  minimal = false,
): string {
  const content: Record<string, string> = { Code: error.code, Message: error.message };
  if (!minimal) {
    if (flavor === "gcs" && error.details !== undefined) content["Details"] = error.details;
    for (const [name, value] of error.fields ?? []) content[name] = value;
  }
  if (flavor === "s3" && ids) {
    content["RequestId"] = ids.requestId;
    content["HostId"] = ids.hostId;
  }
  return xmlDocument("Error", content, flavor);
}

export function requestTimeTooSkewed(
  flavor: ServerFlavor,
  requestTime: string,
  serverTimeIso: string,
  maxSkewMs: number,
): S3ErrorResponse {
  if (flavor === "gcs") return { status: 403, code: "RequestTimeTooSkewed", message: SKEW_MESSAGE };
  return {
    status: 403,
    code: "RequestTimeTooSkewed",
    message: SKEW_MESSAGE,
    fields: [
      ["RequestTime", requestTime],
      ["ServerTime", serverTimeIso],
      ["MaxAllowedSkewMilliseconds", String(maxSkewMs)],
    ],
  };
}

export interface SignatureEvidence {
  accessKeyId: string;
  stringToSign: string;
  signatureProvided: string;
  canonicalRequest: string;
}

export function signatureDoesNotMatch(
  flavor: ServerFlavor,
  evidence: SignatureEvidence,
): S3ErrorResponse {
  if (flavor === "gcs") {
    return {
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "Access denied.",
      details: GCS_SIGNATURE_DETAILS,
      fields: [
        ["StringToSign", evidence.stringToSign],
        ["CanonicalRequest", evidence.canonicalRequest],
      ],
    };
  }
  return {
    status: 403,
    code: "SignatureDoesNotMatch",
    message: S3_SIGNATURE_MESSAGE,
    fields: [
      ["AWSAccessKeyId", evidence.accessKeyId],
      ["StringToSign", evidence.stringToSign],
      ["SignatureProvided", evidence.signatureProvided],
      ["StringToSignBytes", spacedHexBytes(evidence.stringToSign)],
      ["CanonicalRequest", evidence.canonicalRequest],
      ["CanonicalRequestBytes", spacedHexBytes(evidence.canonicalRequest)],
    ],
  };
}

export function invalidAccessKeyId(flavor: ServerFlavor, accessKeyId: string): S3ErrorResponse {
  if (flavor === "gcs") {
    // Unverified wording; GCS keeps Message generic and puts the reason in Details.
    return {
      status: 403,
      code: "InvalidAccessKeyId",
      message: "Access denied.",
      details: "The access key Id you provided does not exist in our records.",
    };
  }
  return {
    status: 403,
    code: "InvalidAccessKeyId",
    message: "The AWS Access Key Id you provided does not exist in our records.",
    fields: [["AWSAccessKeyId", accessKeyId]],
  };
}

/** A policy (IAM, bucket policy) refusal: nothing to do with the clock. */
export function accessDenied(
  flavor: ServerFlavor,
  principal: string,
  permission: string,
): S3ErrorResponse {
  if (flavor === "gcs") {
    return {
      status: 403,
      code: "AccessDenied",
      message: "Access denied.",
      details: `${principal} does not have ${permission} access to the Google Cloud Storage object. Permission '${permission}' denied on resource (or it may not exist).`,
    };
  }
  return { status: 403, code: "AccessDenied", message: "Access Denied" };
}

export function presignedExpired(
  flavor: ServerFlavor,
  expiresSeconds: string,
  expiresAtMs: number,
  serverTimeIso: string,
): S3ErrorResponse {
  const expiresIso = new Date(expiresAtMs).toISOString().replace(".000Z", "Z");
  if (flavor === "gcs") {
    return {
      status: 400,
      code: "ExpiredToken",
      message: "Invalid argument.",
      details: `The provided token has expired. Request signature expired at: ${expiresIso.replace("Z", "+00:00")}`,
    };
  }
  return {
    status: 403,
    code: "AccessDenied",
    message: "Request has expired",
    fields: [
      ["X-Amz-Expires", expiresSeconds],
      ["Expires", expiresIso],
      ["ServerTime", serverTimeIso],
    ],
  };
}

export function presignedNotYetValid(
  flavor: ServerFlavor,
  signedAtMs: number,
  expiresAtMs: number,
  serverTimeIso: string,
): S3ErrorResponse {
  if (flavor === "gcs") {
    // Unverified: modelled on GCS's expired answer.
    return {
      status: 400,
      code: "ExpiredToken",
      message: "Invalid argument.",
      details: "Request is not yet valid.",
    };
  }
  return {
    status: 403,
    code: "AccessDenied",
    message: "Request is not yet valid",
    fields: [
      // S3 really sends epoch milliseconds here, unlike every other time in its errors.
      ["X-Amz-Date", String(signedAtMs)],
      ["Expires", new Date(expiresAtMs).toISOString().replace(".000Z", "Z")],
      ["ServerTime", serverTimeIso],
    ],
  };
}

export function noSuchKey(flavor: ServerFlavor, bucket: string, key: string): S3ErrorResponse {
  if (flavor === "gcs") {
    return {
      status: 404,
      code: "NoSuchKey",
      message: "The specified key does not exist.",
      details: `No such object: ${bucket}/${key}`,
    };
  }
  return {
    status: 404,
    code: "NoSuchKey",
    message: "The specified key does not exist.",
    fields: [["Key", key]],
  };
}

export function noSuchBucket(flavor: ServerFlavor, bucket: string): S3ErrorResponse {
  return {
    status: 404,
    code: "NoSuchBucket",
    message: "The specified bucket does not exist.",
    ...(flavor === "s3" ? { fields: [["BucketName", bucket]] as Array<[string, string]> } : {}),
  };
}

export function missingDate(): S3ErrorResponse {
  return {
    status: 403,
    code: "AccessDenied",
    message: "AWS authentication requires a valid Date or x-amz-date header",
  };
}

export function authorizationHeaderMalformed(reason: string, region?: string): S3ErrorResponse {
  return {
    status: 400,
    code: "AuthorizationHeaderMalformed",
    message: `The authorization header is malformed; ${reason}`,
    ...(region === undefined ? {} : { fields: [["Region", region]] as Array<[string, string]> }),
  };
}

export function authorizationQueryParametersError(
  message: string,
  region?: string,
): S3ErrorResponse {
  return {
    status: 400,
    code: "AuthorizationQueryParametersError",
    message,
    ...(region === undefined ? {} : { fields: [["Region", region]] as Array<[string, string]> }),
  };
}

export function invalidRequest(message: string): S3ErrorResponse {
  return { status: 400, code: "InvalidRequest", message };
}

export function invalidArgument(
  message: string,
  argument?: { name: string; value: string },
): S3ErrorResponse {
  return {
    status: 400,
    code: "InvalidArgument",
    message,
    ...(argument === undefined
      ? {}
      : {
          fields: [
            ["ArgumentName", argument.name],
            ["ArgumentValue", argument.value],
          ] as Array<[string, string]>,
        }),
  };
}

export function contentSha256Mismatch(clientHash: string, serverHash: string): S3ErrorResponse {
  return {
    status: 400,
    code: "XAmzContentSHA256Mismatch",
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    fields: [
      ["ClientComputedContentSHA256", clientHash],
      ["S3ComputedContentSHA256", serverHash],
    ],
  };
}

export function badDigest(algorithm: string): S3ErrorResponse {
  return {
    status: 400,
    code: "BadDigest",
    message: `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
  };
}

export function incompleteBody(message: string): S3ErrorResponse {
  return { status: 400, code: "IncompleteBody", message };
}

export function notImplemented(): S3ErrorResponse {
  return {
    status: 501,
    code: "NotImplemented",
    message: "A header you provided implies functionality that is not implemented",
  };
}

export function methodNotAllowed(): S3ErrorResponse {
  return {
    status: 405,
    code: "MethodNotAllowed",
    message: "The specified method is not allowed against this resource.",
  };
}

export function bucketNotEmpty(bucket: string): S3ErrorResponse {
  return {
    status: 409,
    code: "BucketNotEmpty",
    message: "The bucket you tried to delete is not empty",
    fields: [["BucketName", bucket]],
  };
}

// Multipart uploads. Messages as S3 writes them (its API reference and captured responses);
// the double space in InvalidPart's message is S3's own.

export function noSuchUpload(uploadId: string): S3ErrorResponse {
  return {
    status: 404,
    code: "NoSuchUpload",
    message:
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    fields: [["UploadId", uploadId]],
  };
}

export function invalidPart(uploadId: string, partNumber: number, etag: string): S3ErrorResponse {
  return {
    status: 400,
    code: "InvalidPart",
    message:
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    fields: [
      ["UploadId", uploadId],
      ["PartNumber", String(partNumber)],
      ["ETag", etag],
    ],
  };
}

export function invalidPartOrder(uploadId: string): S3ErrorResponse {
  return {
    status: 400,
    code: "InvalidPartOrder",
    message: "The list of parts was not in ascending order. Parts must be ordered by part number.",
    fields: [["UploadId", uploadId]],
  };
}

/** A part below the minimum size (multipart), or a POST file below `content-length-range`. */
export function entityTooSmall(
  proposedSize: number,
  minSize: number,
  part?: { partNumber: number; etag: string },
): S3ErrorResponse {
  const fields: Array<[string, string]> = [
    ["ProposedSize", String(proposedSize)],
    ["MinSizeAllowed", String(minSize)],
  ];
  if (part) fields.push(["PartNumber", String(part.partNumber)], ["ETag", part.etag]);
  return {
    status: 400,
    code: "EntityTooSmall",
    message: "Your proposed upload is smaller than the minimum allowed size",
    fields,
  };
}

export function entityTooLarge(proposedSize: number, maxSize: number): S3ErrorResponse {
  return {
    status: 400,
    code: "EntityTooLarge",
    message: "Your proposed upload exceeds the maximum allowed size",
    fields: [
      ["ProposedSize", String(proposedSize)],
      ["MaxSizeAllowed", String(maxSize)],
    ],
  };
}

export function malformedXml(): S3ErrorResponse {
  return {
    status: 400,
    code: "MalformedXML",
    message:
      "The XML you provided was not well-formed or did not validate against our published schema",
  };
}

// Browser-based POST uploads (a policy signed with SigV4).

/** A policy that does not allow the request: 403 AccessDenied "Invalid according to Policy: ...". */
export function policyDenied(reason: string): S3ErrorResponse {
  return { status: 403, code: "AccessDenied", message: `Invalid according to Policy: ${reason}` };
}

export function invalidPolicyDocument(reason: string): S3ErrorResponse {
  return { status: 400, code: "InvalidPolicyDocument", message: `Invalid Policy: ${reason}` };
}

export function maxPostPreDataLengthExceeded(): S3ErrorResponse {
  return {
    status: 400,
    code: "MaxPostPreDataLengthExceededError",
    message: "Your POST request fields preceding the upload file were too large.",
  };
}

export function malformedPostRequest(): S3ErrorResponse {
  return {
    status: 400,
    code: "MalformedPOSTRequest",
    message: "The body of your POST request is not well-formed multipart/form-data.",
  };
}

/** A POST policy's signature: what S3 signs is the base64 policy itself, its string to sign. */
export function postSignatureDoesNotMatch(
  accessKeyId: string,
  policy: string,
  signatureProvided: string,
): S3ErrorResponse {
  return {
    status: 403,
    code: "SignatureDoesNotMatch",
    message: S3_SIGNATURE_MESSAGE,
    fields: [
      ["AWSAccessKeyId", accessKeyId],
      ["StringToSign", policy],
      ["SignatureProvided", signatureProvided],
      ["StringToSignBytes", spacedHexBytes(policy)],
    ],
  };
}

export function invalidDigest(contentMd5: string): S3ErrorResponse {
  return {
    status: 400,
    code: "InvalidDigest",
    message: "The Content-MD5 you specified was invalid.",
    fields: [["Content-MD5", contentMd5]],
  };
}

export function contentMd5Mismatch(expected: string, calculated: string): S3ErrorResponse {
  return {
    status: 400,
    code: "BadDigest",
    message: "The Content-MD5 you specified did not match what we received.",
    fields: [
      ["ExpectedDigest", expected],
      ["CalculatedDigest", calculated],
    ],
  };
}
