// The page of test/browser/error-xml.test.ts: skewguard's error-document reader as the browser
// build has it (the browser's DOMParser), for the test to compare with the Node reader.
import { readErrorElement } from "../../packages/diagnosis/src/error-xml.ts";

window.readAll = (bodies) =>
  bodies.map((body) => {
    const children = readErrorElement(body);
    return children === undefined ? null : [...children];
  });
window.pageReady = true;
