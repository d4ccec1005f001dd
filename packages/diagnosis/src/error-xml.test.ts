import { describe, expect, it } from "vitest";
import { readErrorElement } from "./error-xml.js";
import { decodeXmlReferences } from "./xml-references.js";

describe("decodeXmlReferences", () => {
  it("decodes the five predefined entities and character references once", () => {
    expect(decodeXmlReferences("a&amp;b&lt;c&gt;&quot;&apos;&#10;&#xD;")).toBe("a&b<c>\"'\n\r");
    expect(decodeXmlReferences("&amp;lt;")).toBe("&lt;");
  });

  it("leaves anything else as written", () => {
    expect(decodeXmlReferences("&nbsp;&xxe;&#0;&#xD800;&#x110000;&")).toBe(
      "&nbsp;&xxe;&#0;&#xD800;&#x110000;&",
    );
  });
});

describe("readErrorElement", () => {
  it("returns the text children of Error, first occurrence winning", () => {
    const children = readErrorElement(
      '\uFEFF<?xml version="1.0"?>\n<Error>\n  <Code>A</Code>\n  <Code>B</Code>\n  <Empty/>\n  <Nested><X>1</X></Nested>\n</Error>\n',
    );
    expect(children && Object.fromEntries(children)).toEqual({ Code: "A", Empty: "" });
  });

  it("leaves DOCTYPE entities unexpanded", () => {
    const children = readErrorElement(
      '<!DOCTYPE Error [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY a "expanded">]><Error><Code>&a;</Code></Error>',
    );
    expect(children?.get("Code") ?? "").not.toContain("expanded");
  });

  it("refuses documents that are not complete", () => {
    expect(readErrorElement("<Error><Code>A</Code></Err")).toBeUndefined();
    expect(readErrorElement('<?xml version="1.0"?>')).toBeUndefined();
  });
});
