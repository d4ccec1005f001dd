import { describe, expect, it } from "vitest";
import { findXmlErrors } from "./embedded-error.js";
import { readErrorElement } from "./error-xml.js";

const STS = "AWS4-HMAC-SHA256\n20261207T102233Z\n20261207/eu-west-1/s3/aws4_request\nabc";

function children(xml: string | undefined) {
  return xml === undefined ? undefined : Object.fromEntries(readErrorElement(xml) ?? []);
}

describe("findXmlErrors", () => {
  it("finds a raw error document inside a log line", () => {
    const text = `[2026-12-07] backup.ERROR: resulted in a 403: <?xml version="1.0"?><Error><Code>RequestTimeTooSkewed</Code></Error> {"exception":"..."}`;
    expect(children(findXmlErrors(text)[0])).toMatchObject({ Code: "RequestTimeTooSkewed" });
  });

  it("decodes a Python bytes literal, keeping the newlines of a StringToSign", () => {
    const text = `Response body:\nb'<?xml version="1.0" encoding="UTF-8"?>\\n<Error><Code>SignatureDoesNotMatch</Code><StringToSign>${STS.replaceAll("\n", "\\n")}</StringToSign></Error>'`;
    expect(children(findXmlErrors(text)[0])).toMatchObject({
      Code: "SignatureDoesNotMatch",
      StringToSign: STS,
    });
  });

  it("joins a bytes literal pprint split over lines", () => {
    const text = `{'data': b'<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>calcula'\n         b'ted</Message></Error>'}`;
    expect(children(findXmlErrors(text)[0])).toMatchObject({ Message: "calculated" });
  });

  it("decodes a JSON string (Storage Explorer, Elixir)", () => {
    const text = `["RestError:<?xml version=\\"1.0\\" encoding=\\"utf-8\\"?><Error><Code>AuthenticationFailed</Code><Message>x\\nTime:2026-12-07T11:47:03.5512094Z</Message></Error>"]`;
    expect(children(findXmlErrors(text)[0])).toMatchObject({
      Code: "AuthenticationFailed",
      Message: "x\nTime:2026-12-07T11:47:03.5512094Z",
    });
  });

  it("decodes Apache HttpClient's wire log", () => {
    const text = `http-outgoing-2 << "<?xml version="1.0"?>[\\n]<Error><Code>SignatureDoesNotMatch</Code><StringToSign>a[\\n]b</StringToSign></Error>"`;
    expect(children(findXmlErrors(text)[0])).toMatchObject({ StringToSign: "a\nb" });
  });

  it("opens the awsQuery and EC2 envelopes, keeping the request id beside the error", () => {
    const query = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code></Error><RequestId>r-1</RequestId></ErrorResponse>`;
    expect(children(findXmlErrors(`HTTP/1.1 403\n\n${query}`)[0])).toMatchObject({
      Code: "InvalidClientTokenId",
      RequestId: "r-1",
    });
    const ec2 = `<Response><Errors><Error><Code>RequestExpired</Code></Error></Errors><RequestID>r-2</RequestID></Response>`;
    expect(children(findXmlErrors(ec2)[0])).toMatchObject({
      Code: "RequestExpired",
      RequestId: "r-2",
    });
  });

  it("finds nothing in text without an error document, and never throws on a cut one", () => {
    expect(findXmlErrors("hello <b>world</b>")).toEqual([]);
    expect(findXmlErrors("<?xml version='1.0'?><Error><Code>X</Code>")).toEqual([]);
    expect(() => findXmlErrors("<Error>".repeat(5000))).not.toThrow();
  });
});
