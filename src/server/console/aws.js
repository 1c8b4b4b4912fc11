// The console's AWS client: the four services' public APIs from the page's own origin, as
// any SDK would call them, unsigned: with --verify-signatures on, stepyard accepts them by the
// admin token's cookie instead (see server/admin_token.rs). The Authorization header's
// credential scope is read: its region picks the region, and an access key id of twelve
// digits picks the account.
"use strict";

const Aws = (() => {
  const JSON_SERVICES = {
    sqs: { prefix: "AmazonSQS", contentType: "application/x-amz-json-1.0" },
    events: { prefix: "AWSEvents", contentType: "application/x-amz-json-1.1" },
    states: { prefix: "AWSStepFunctions", contentType: "application/x-amz-json-1.0" },
  };

  class AwsError extends Error {
    constructor(code, message, status) {
      super(`${code}: ${message}`);
      this.code = code;
      this.status = status;
    }
  }

  function authorization(place, service) {
    const key = /^\d{12}$/.test(place.account) ? place.account : "console";
    const date = new Date().toISOString().slice(0, 10).replace(/-/g, "");
    return (
      `AWS4-HMAC-SHA256 Credential=${key}/${date}/${place.region}/${service}/aws4_request, ` +
      "SignedHeaders=host, Signature=0"
    );
  }

  // An awsJson call: `place` is {account, region}.
  async function call(place, service, operation, input) {
    const spec = JSON_SERVICES[service];
    const response = await fetch("/", {
      method: "POST",
      headers: {
        "Content-Type": spec.contentType,
        "X-Amz-Target": `${spec.prefix}.${operation}`,
        Authorization: authorization(place, service),
      },
      body: JSON.stringify(input || {}),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const type = String(body.__type || "Error").split("#").pop();
      throw new AwsError(type, body.message || body.Message || text, response.status);
    }
    return body;
  }

  // Follows `nextToken`/`NextToken` until the listing ends; `key` names the list member.
  async function callAll(place, service, operation, input, key, tokenName) {
    const items = [];
    let token;
    for (let page = 0; page < 100; page++) {
      const request = Object.assign({}, input);
      if (token) request[tokenName] = token;
      const out = await call(place, service, operation, request);
      items.push(...(out[key] || []));
      token = out[tokenName];
      if (!token) break;
    }
    return items;
  }

  // An SNS call over its query protocol (form in, XML out); answers the parsed document.
  async function sns(place, action, params) {
    const form = new URLSearchParams(Object.assign({ Action: action, Version: "2010-03-31" }, params));
    const response = await fetch("/", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        Authorization: authorization(place, "sns"),
      },
      body: form.toString(),
    });
    const doc = new DOMParser().parseFromString(await response.text(), "application/xml");
    if (!response.ok) {
      throw new AwsError(childText(doc, "Code") || "Error", childText(doc, "Message"), response.status);
    }
    return doc;
  }

  function childText(node, name) {
    const found = node.getElementsByTagName(name)[0];
    return found ? found.textContent : "";
  }

  // The `member` elements under the first element named `list`, each as {childName: text}.
  function members(doc, list) {
    const container = doc.getElementsByTagName(list)[0];
    if (!container) return [];
    return Array.from(container.children)
      .filter((m) => m.localName === "member")
      .map((m) => Object.fromEntries(Array.from(m.children).map((c) => [c.localName, c.textContent])));
  }

  // An `Attributes` map (`entry` elements with `key` and `value`).
  function attributes(doc) {
    const out = {};
    for (const entry of Array.from(doc.getElementsByTagName("entry"))) {
      out[childText(entry, "key")] = childText(entry, "value");
    }
    return out;
  }

  async function snsAll(place, action, params, list) {
    const items = [];
    let token = "";
    for (let page = 0; page < 100; page++) {
      const request = Object.assign({}, params);
      if (token) request.NextToken = token;
      const doc = await sns(place, action, request);
      items.push(...members(doc, list));
      token = childText(doc, "NextToken");
      if (!token) break;
    }
    return items;
  }

  // stepyard's own read-only endpoints.
  async function stepyard(path) {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) throw new AwsError("StepyardError", body.error || response.statusText, response.status);
    return body;
  }

  return {
    AwsError,
    call,
    callAll,
    sns,
    snsAll,
    attributes,
    stepyard,
  };
})();
