// The console's pages. Each page loads its data through the services' public APIs (aws.js),
// and is polled about once a second while shown; it is drawn again only when what it loaded
// changed, so a running flow updates live without the page flickering.
"use strict";

(() => {
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  const errorBox = document.getElementById("error");
  const enc = encodeURIComponent;

  // ---- DOM helpers: everything shown goes in as text, never as HTML.

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function table(headers, rows, empty) {
    if (!rows.length) return h("p", { class: "muted empty" }, empty || "None.");
    return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
  }

  function pretty(text) {
    if (text === undefined || text === null) return "";
    try {
      return JSON.stringify(typeof text === "string" ? JSON.parse(text) : text, null, 2);
    } catch (_) {
      return String(text);
    }
  }

  function code(text, cls) {
    return h("pre", { class: `code ${cls || ""}` }, pretty(text));
  }

  function when(seconds) {
    if (seconds === undefined || seconds === null || seconds === "") return "";
    const ms = Number(seconds) * 1000;
    if (!Number.isFinite(ms)) return String(seconds);
    return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  }

  function whenMs(ms) {
    return ms ? new Date(Number(ms)).toISOString().replace("T", " ").replace("Z", "") : "";
  }

  function badge(status) {
    return h("span", { class: `badge badge-${String(status).toLowerCase()}` }, status);
  }

  function link(hash, text, attrs) {
    return h("a", Object.assign({ href: hash }, attrs || {}), text);
  }

  const routes = {
    resources: () => "#/",
    queue: (p, name) => `#/queue/${enc(p.account)}/${enc(p.region)}/${enc(name)}`,
    topic: (p, arn) => `#/topic/${enc(p.account)}/${enc(p.region)}/${enc(arn)}`,
    bus: (p, name) => `#/bus/${enc(p.account)}/${enc(p.region)}/${enc(name)}`,
    machine: (p, arn) => `#/machine/${enc(p.account)}/${enc(p.region)}/${enc(arn)}`,
    execution: (p, arn) => `#/execution/${enc(p.account)}/${enc(p.region)}/${enc(arn)}`,
  };

  // The console page of a resource an ARN names, if it is one the console shows.
  function arnLink(arn) {
    const parts = String(arn).split(":");
    if (parts.length < 6 || parts[0] !== "arn") return null;
    const p = { region: parts[3], account: parts[4] };
    const rest = parts.slice(5).join(":");
    switch (parts[2]) {
      case "sqs":
        return routes.queue(p, rest);
      case "sns":
        return routes.topic(p, arn);
      case "events":
        return rest.startsWith("event-bus/") ? routes.bus(p, rest.slice("event-bus/".length)) : null;
      case "states":
        if (rest.startsWith("stateMachine:")) return routes.machine(p, parts.slice(0, 7).join(":"));
        if (rest.startsWith("execution:")) return routes.execution(p, arn);
        return null;
      default:
        return null;
    }
  }

  // An ARN as a link to its page when the console has one; `short` shows only its name.
  function arnOrLink(arn, short) {
    const hash = arnLink(arn);
    const shown = short && hash ? String(arn).split(":").pop() : arn;
    return hash ? link(hash, shown, { title: arn }) : arn;
  }

  // ---- the page loop

  let generation = 0;
  let timer = null;

  function show(page) {
    generation += 1;
    const mine = generation;
    clearTimeout(timer);
    errorBox.hidden = true;
    main.replaceChildren(h("h1", {}, page.title), h("p", { class: "muted" }, "Loading…"));
    document.title = `${page.title} · stepyard console`;
    for (const a of document.querySelectorAll("[data-nav]")) {
      a.classList.toggle("current", a.dataset.nav === (page.nav || ""));
    }
    let last = null;
    const tick = async () => {
      if (mine !== generation) return;
      if (document.hidden) {
        timer = setTimeout(tick, 1000);
        return;
      }
      let data;
      try {
        data = await page.load();
      } catch (e) {
        if (mine !== generation) return;
        errorBox.textContent = `Could not load this page: ${e.message}`;
        errorBox.hidden = false;
        live.textContent = "not updating";
        timer = setTimeout(tick, 3000);
        return;
      }
      if (mine !== generation) return;
      errorBox.hidden = true;
      const key = JSON.stringify(data);
      if (key !== last) {
        last = key;
        main.replaceChildren();
        append(main, [page.render(data)]);
        main.dataset.loaded = "true";
      }
      const finished = page.finished && page.finished(data);
      live.textContent = finished ? "finished: not polling" : `live · ${new Date().toLocaleTimeString()}`;
      live.className = finished ? "live" : "live on";
      if (!finished) timer = setTimeout(tick, page.interval || 1000);
    };
    main.dataset.loaded = "false";
    tick();
  }

  function route() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").map((x) => decodeURIComponent(x));
    const place = { account: parts[1], region: parts[2] };
    switch (parts[0]) {
      case "queue":
        return show(queuePage(place, parts[3]));
      case "topic":
        return show(topicPage(place, parts[3]));
      case "bus":
        return show(busPage(place, parts[3]));
      case "machine":
        return show(machinePage(place, parts[3]));
      case "execution":
        return show(executionPage(place, parts[3]));
      case "traces":
        return show(tracesPage(parts[1]));
      case "trace":
        return show(tracePage(parts[1]));
      default:
        return show(resourcesPage());
    }
  }

  // ---- Resources: every account and region holding something, by service

  async function regionResources(region) {
    const p = { account: region.account, region: region.region };
    const has = (s) => region.services.includes(s);
    const [queues, topics, buses, machines] = await Promise.all([
      has("sqs") ? loadQueues(p) : [],
      has("sns") ? loadTopics(p) : [],
      has("events") ? loadBuses(p) : [],
      has("states") ? loadMachines(p) : [],
    ]);
    return { place: p, queues, topics, buses, machines };
  }

  async function loadQueues(p) {
    const urls = await Aws.callAll(p, "sqs", "ListQueues", { MaxResults: 1000 }, "QueueUrls", "NextToken");
    return Promise.all(
      urls.map(async (url) => {
        const out = await Aws.call(p, "sqs", "GetQueueAttributes", {
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        });
        const a = out.Attributes || {};
        return {
          name: url.split("/").pop(),
          visible: a.ApproximateNumberOfMessages,
          inflight: a.ApproximateNumberOfMessagesNotVisible,
          delayed: a.ApproximateNumberOfMessagesDelayed,
        };
      }),
    );
  }

  async function loadTopics(p) {
    const topics = await Aws.snsAll(p, "ListTopics", {}, "Topics");
    return Promise.all(
      topics.map(async (t) => ({
        arn: t.TopicArn,
        subscriptions: await Aws.snsAll(p, "ListSubscriptionsByTopic", { TopicArn: t.TopicArn }, "Subscriptions"),
      })),
    );
  }

  async function loadBuses(p) {
    const buses = await Aws.callAll(p, "events", "ListEventBuses", {}, "EventBuses", "NextToken");
    return Promise.all(
      buses.map(async (b) => ({
        name: b.Name,
        rules: (await Aws.callAll(p, "events", "ListRules", { EventBusName: b.Name }, "Rules", "NextToken")).map((r) => ({
          name: r.Name,
          state: r.State,
        })),
      })),
    );
  }

  async function loadMachines(p) {
    const machines = await Aws.callAll(p, "states", "ListStateMachines", {}, "stateMachines", "nextToken");
    return Promise.all(
      machines.map(async (m) => {
        // One page (the newest 1000) per poll: enough to see a flow run, cheap when a load
        // test has left a million executions behind.
        const page = await Aws.call(p, "states", "ListExecutions", { stateMachineArn: m.stateMachineArn, maxResults: 1000 });
        const counts = {};
        for (const e of page.executions || []) counts[e.status] = (counts[e.status] || 0) + 1;
        return { name: m.name, arn: m.stateMachineArn, type: m.type, counts, more: Boolean(page.nextToken) };
      }),
    );
  }

  function resourcesPage() {
    return {
      title: "Resources",
      nav: "resources",
      interval: 1500,
      async load() {
        const info = await Aws.stepyard("/_stepyard/regions");
        const regions = info.regions.slice();
        if (!regions.some((r) => r.account === info.defaultAccount && r.region === info.defaultRegion)) {
          regions.unshift({ account: info.defaultAccount, region: info.defaultRegion, services: [] });
        }
        return Promise.all(regions.map(regionResources));
      },
      render(regions) {
        return [
          h("h1", {}, "Resources"),
          h("p", { class: "muted" }, "Every account and region that holds a queue, topic, event bus or rule, or state machine."),
          regions.map(renderRegion),
        ];
      },
    };
  }

  function renderRegion(r) {
    const p = r.place;
    const id = `${p.account}:${p.region}`;
    return h(
      "section",
      { class: "region", "data-region": id },
      h("h2", {}, h("span", { class: "muted" }, "Account "), p.account, h("span", { class: "muted" }, " · Region "), p.region),
      h(
        "div",
        { class: "cards" },
        card(
          "SQS queues",
          table(
            ["Queue", "Available", "In flight", "Delayed"],
            r.queues.map((q) =>
              h(
                "tr",
                {},
                h("td", {}, link(routes.queue(p, q.name), q.name, { "data-resource": `queue:${q.name}` })),
                h("td", { class: "num" }, q.visible),
                h("td", { class: "num" }, q.inflight),
                h("td", { class: "num" }, q.delayed),
              ),
            ),
            "No queues.",
          ),
        ),
        card(
          "SNS topics",
          table(
            ["Topic", "Subscriptions"],
            r.topics.map((t) =>
              h(
                "tr",
                {},
                h("td", {}, link(routes.topic(p, t.arn), t.arn.split(":").pop(), { "data-resource": `topic:${t.arn.split(":").pop()}` })),
                h(
                  "td",
                  {},
                  t.subscriptions.length ? h("ul", { class: "plain" }, t.subscriptions.map((s) => h("li", {}, `${s.Protocol} → `, arnOrLink(s.Endpoint, true)))) : h("span", { class: "muted" }, "none"),
                ),
              ),
            ),
            "No topics.",
          ),
        ),
        card(
          "EventBridge buses and rules",
          table(
            ["Bus", "Rules"],
            r.buses.map((b) =>
              h(
                "tr",
                {},
                h("td", {}, link(routes.bus(p, b.name), b.name, { "data-resource": `bus:${b.name}` })),
                h(
                  "td",
                  {},
                  b.rules.length ? h("ul", { class: "plain" }, b.rules.map((rule) => h("li", {}, rule.name, rule.state === "ENABLED" ? "" : h("span", { class: "muted" }, ` (${rule.state.toLowerCase()})`)))) : h("span", { class: "muted" }, "none"),
                ),
              ),
            ),
            "Only the default bus, with no rules.",
          ),
        ),
        card(
          "Step Functions state machines",
          table(
            ["State machine", "Type", "Executions"],
            r.machines.map((m) =>
              h(
                "tr",
                {},
                h("td", {}, link(routes.machine(p, m.arn), m.name, { "data-resource": `machine:${m.name}` })),
                h("td", {}, m.type),
                h(
                  "td",
                  {},
                  Object.keys(m.counts).length ? Object.entries(m.counts).map(([s, n]) => h("span", { class: "count" }, badge(s), ` ${n}`)) : h("span", { class: "muted" }, "none"),
                  m.more ? h("div", { class: "muted small" }, "among the newest 1000") : null,
                ),
              ),
            ),
            "No state machines.",
          ),
        ),
      ),
    );
  }

  function card(title, body) {
    return h("div", { class: "card" }, h("h3", {}, title), body);
  }

  function crumbs(p, ...items) {
    return h("p", { class: "crumbs" }, link("#/", "Resources"), ` › ${p.account} · ${p.region}`, items.map((i) => [" › ", i]));
  }

  // ---- a queue: counts, attributes, and its messages seen without receiving them

  function queuePage(p, name) {
    return {
      title: `Queue ${name}`,
      async load() {
        const url = await Aws.call(p, "sqs", "GetQueueUrl", { QueueName: name, QueueOwnerAWSAccountId: p.account });
        const attributes = (await Aws.call(p, "sqs", "GetQueueAttributes", { QueueUrl: url.QueueUrl, AttributeNames: ["All"] })).Attributes || {};
        const peek = await Aws.stepyard(`/_stepyard/sqs/peek?queueArn=${enc(attributes.QueueArn)}&max=100`);
        return { peek, url: url.QueueUrl, attributes };
      },
      render({ peek, url, attributes }) {
        const arn = attributes.QueueArn;
        const c = peek.counts;
        return [
          crumbs(p, "SQS", name),
          h("h1", {}, "Queue ", h("span", { class: "name" }, name)),
          h("p", { class: "muted" }, arn, h("br"), url),
          h(
            "div",
            { class: "stats" },
            stat("Available", c.visible, "visible"),
            stat("In flight", c.inflight, "inflight"),
            stat("Delayed", c.delayed, "delayed"),
          ),
          h("h2", {}, "Messages"),
          h("p", { class: "muted" }, "A peek: looking here does not receive the messages, change their visibility or count as a receive."),
          table(
            ["Message ID", "State", "Sent", "Receives", "Body", "Attributes"],
            peek.messages.map((m) => {
              const a = m.Attributes || {};
              return h(
                "tr",
                { class: "message", "data-message-id": m.MessageId },
                h("td", { class: "mono" }, m.MessageId),
                h("td", {}, badge(m.State), m.VisibleAt ? h("div", { class: "muted small" }, `until ${whenMs(m.VisibleAt)}`) : null),
                h("td", { class: "small" }, whenMs(a.SentTimestamp)),
                h("td", { class: "num receives" }, a.ApproximateReceiveCount),
                h("td", { class: "body" }, code(m.Body)),
                h("td", { class: "small" }, attributeList(a, m.MessageAttributes)),
              );
            }),
            "The queue holds no messages.",
          ),
          peek.messages.length < c.visible + c.inflight + c.delayed ? h("p", { class: "muted" }, `Showing the oldest ${peek.messages.length}.`) : null,
          h("details", {}, h("summary", {}, "Queue attributes"), keyValues(attributes)),
        ];
      },
    };
  }

  function stat(label, value, cls) {
    return h("div", { class: `stat stat-${cls}` }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label));
  }

  function attributeList(system, custom) {
    const items = [];
    for (const key of ["MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "AWSTraceHeader", "DeadLetterQueueSourceArn"]) {
      if (system[key]) items.push(h("li", {}, h("b", {}, key), ": ", system[key]));
    }
    for (const [key, value] of Object.entries(custom || {})) {
      items.push(h("li", {}, h("b", {}, key), ` (${value.DataType}): `, value.StringValue !== undefined ? value.StringValue : value.BinaryValue));
    }
    return items.length ? h("ul", { class: "plain" }, items) : "";
  }

  function keyValues(map) {
    const keys = Object.keys(map).sort();
    return table(
      ["Name", "Value"],
      keys.map((k) => h("tr", {}, h("td", {}, k), h("td", {}, /^[[{]/.test(map[k]) ? code(map[k]) : map[k]))),
      "None.",
    );
  }

  // ---- a topic and its subscriptions

  function topicPage(p, arn) {
    const name = String(arn).split(":").pop();
    return {
      title: `Topic ${name}`,
      interval: 2000,
      async load() {
        const [attributesDoc, subscriptions] = await Promise.all([
          Aws.sns(p, "GetTopicAttributes", { TopicArn: arn }),
          Aws.snsAll(p, "ListSubscriptionsByTopic", { TopicArn: arn }, "Subscriptions"),
        ]);
        const detailed = await Promise.all(
          subscriptions.map(async (s) => {
            if (!s.SubscriptionArn || !s.SubscriptionArn.startsWith("arn:")) return Object.assign({ attributes: {} }, s);
            const doc = await Aws.sns(p, "GetSubscriptionAttributes", { SubscriptionArn: s.SubscriptionArn });
            return Object.assign({ attributes: Aws.attributes(doc) }, s);
          }),
        );
        return { attributes: Aws.attributes(attributesDoc), subscriptions: detailed };
      },
      render({ attributes, subscriptions }) {
        return [
          crumbs(p, "SNS", name),
          h("h1", {}, "Topic ", h("span", { class: "name" }, name)),
          h("p", { class: "muted" }, arn),
          h("h2", {}, "Subscriptions"),
          table(
            ["Protocol", "Endpoint", "Status", "Raw delivery", "Filter policy"],
            subscriptions.map((s) =>
              h(
                "tr",
                { class: "subscription" },
                h("td", {}, s.Protocol),
                h("td", {}, arnOrLink(s.Endpoint)),
                h("td", {}, s.SubscriptionArn && s.SubscriptionArn.startsWith("arn:") && s.attributes.PendingConfirmation !== "true" ? badge("CONFIRMED") : badge("PENDING")),
                h("td", {}, s.attributes.RawMessageDelivery === "true" ? "yes" : "no"),
                h("td", {}, s.attributes.FilterPolicy ? code(s.attributes.FilterPolicy) : h("span", { class: "muted" }, "none")),
              ),
            ),
            "No subscriptions.",
          ),
          h("details", {}, h("summary", {}, "Topic attributes"), keyValues(attributes)),
        ];
      },
    };
  }

  // ---- an event bus: its rules and their targets, and a pattern tester

  function busPage(p, name) {
    const tester = patternTester(p);
    return {
      title: `Event bus ${name}`,
      interval: 2000,
      async load() {
        const rules = await Aws.callAll(p, "events", "ListRules", { EventBusName: name }, "Rules", "NextToken");
        return Promise.all(
          rules.map(async (r) => ({
            rule: r,
            targets: await Aws.callAll(p, "events", "ListTargetsByRule", { Rule: r.Name, EventBusName: name }, "Targets", "NextToken"),
          })),
        );
      },
      render(rules) {
        return [
          crumbs(p, "EventBridge", name),
          h("h1", {}, "Event bus ", h("span", { class: "name" }, name)),
          h("h2", {}, "Rules"),
          rules.length
            ? rules.map(({ rule, targets }) =>
                h(
                  "div",
                  { class: "card rule", "data-rule": rule.Name },
                  h("h3", {}, rule.Name, " ", badge(rule.State)),
                  rule.Description ? h("p", {}, rule.Description) : null,
                  rule.EventPattern
                    ? [h("h4", {}, "Event pattern"), code(rule.EventPattern), h("button", { type: "button", onclick: () => tester.usePattern(rule.EventPattern) }, "Try this pattern in the tester")]
                    : null,
                  rule.ScheduleExpression ? [h("h4", {}, "Schedule"), h("p", { class: "mono" }, rule.ScheduleExpression)] : null,
                  h("h4", {}, "Targets"),
                  table(
                    ["Id", "Target", "Input"],
                    targets.map((t) =>
                      h(
                        "tr",
                        {},
                        h("td", {}, t.Id),
                        h("td", {}, arnOrLink(t.Arn)),
                        h("td", {}, t.Input ? code(t.Input) : t.InputPath ? h("span", { class: "mono" }, t.InputPath) : t.InputTransformer ? code(t.InputTransformer) : h("span", { class: "muted" }, "the event")),
                      ),
                    ),
                    "No targets.",
                  ),
                ),
              )
            : h("p", { class: "muted" }, "No rules on this bus."),
          tester.element,
        ];
      },
    };
  }

  // Built once per page, so what the user typed survives the page being redrawn.
  function patternTester(p) {
    const sample = {
      version: "0",
      id: "00000000-0000-0000-0000-000000000001",
      "detail-type": "OrderPlaced",
      source: "shop",
      account: p.account,
      time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      region: p.region,
      resources: [],
      detail: { orderId: "o-1", amount: 42 },
    };
    const pattern = h("textarea", { id: "pattern-input", rows: 8, spellcheck: "false" }, JSON.stringify({ source: ["shop"] }, null, 2));
    const event = h("textarea", { id: "event-input", rows: 14, spellcheck: "false" }, JSON.stringify(sample, null, 2));
    const result = h("p", { id: "pattern-result", class: "result", "aria-live": "polite" });
    const test = async () => {
      result.className = "result";
      result.textContent = "Testing…";
      try {
        const out = await Aws.call(p, "events", "TestEventPattern", { EventPattern: pattern.value, Event: event.value });
        result.className = `result ${out.Result ? "match" : "no-match"}`;
        result.textContent = out.Result ? "The event matches the pattern." : "The event does not match the pattern.";
      } catch (e) {
        result.className = "result invalid";
        result.textContent = e.message;
      }
    };
    const element = h(
      "section",
      { class: "card tester" },
      h("h2", {}, "Pattern tester"),
      h("p", { class: "muted" }, "EventBridge's TestEventPattern: does this event match this pattern?"),
      h("div", { class: "two" }, h("label", {}, "Event pattern", pattern), h("label", {}, "Event", event)),
      h("button", { id: "pattern-test", type: "button", class: "primary", onclick: test }, "Test pattern"),
      result,
    );
    return {
      element,
      usePattern(text) {
        pattern.value = pretty(text);
        result.textContent = "";
        pattern.scrollIntoView({ block: "center" });
      },
    };
  }

  // ---- a state machine: its graph and its executions

  function machinePage(p, arn) {
    const name = String(arn).split(":").pop();
    return {
      title: `State machine ${name}`,
      async load() {
        const [machine, executions] = await Promise.all([
          Aws.call(p, "states", "DescribeStateMachine", { stateMachineArn: arn }),
          Aws.call(p, "states", "ListExecutions", { stateMachineArn: arn, maxResults: 100 }),
        ]);
        return { machine, executions: executions.executions || [] };
      },
      render({ machine, executions }) {
        return [
          crumbs(p, "Step Functions", name),
          h("h1", {}, "State machine ", h("span", { class: "name" }, name)),
          h("p", { class: "muted" }, `${machine.type} · ${arn}`),
          h("div", { class: "split" }, h("div", { class: "graph-box" }, graphOrError(machine.definition, null, null)), h("div", { class: "side" }, h("h2", {}, "Executions"), executionsTable(p, executions))),
          h("details", {}, h("summary", {}, "Definition"), code(machine.definition)),
        ];
      },
    };
  }

  function graphOrError(definition, status, onSelect) {
    try {
      return Graph.render(definition, status, onSelect);
    } catch (e) {
      return h("p", { class: "muted" }, `The definition could not be drawn: ${e.message}`);
    }
  }

  function executionsTable(p, executions) {
    return table(
      ["Execution", "Status", "Started", "Ended"],
      executions.map((e) =>
        h(
          "tr",
          { class: "execution", "data-execution": e.name },
          h("td", {}, link(routes.execution(p, e.executionArn), e.name)),
          h("td", {}, badge(e.status)),
          h("td", { class: "small" }, when(e.startDate)),
          h("td", { class: "small" }, when(e.stopDate)),
        ),
      ),
      "No executions yet.",
    );
  }

  // ---- an execution: the path it took, each state's input and output, its history

  function executionPage(p, arn) {
    const name = String(arn).split(":").pop();
    let selected = null;
    let latest = null;
    let detailBox = null;
    const select = (state) => {
      selected = state;
      if (latest && detailBox) detailBox.replaceChildren(stateDetail(latest, selected));
      for (const node of document.querySelectorAll(".graph .node")) node.classList.toggle("selected", node.dataset.state === selected);
    };
    return {
      title: `Execution ${name}`,
      async load() {
        const [execution, definition, events] = await Promise.all([
          Aws.call(p, "states", "DescribeExecution", { executionArn: arn }),
          Aws.call(p, "states", "DescribeStateMachineForExecution", { executionArn: arn }),
          Aws.callAll(p, "states", "GetExecutionHistory", { executionArn: arn, maxResults: 1000 }, "events", "nextToken"),
        ]);
        return { execution, definition: definition.definition, events };
      },
      finished: (data) => data.execution.status !== "RUNNING",
      render(data) {
        const { execution, definition, events } = data;
        const path = Graph.pathFromHistory(events, execution.status);
        latest = { data, path };
        detailBox = h("div", { class: "state-detail" });
        const graph = graphOrError(definition, path, select);
        const out = [
          crumbs(p, "Step Functions", link(routes.machine(p, execution.stateMachineArn), execution.stateMachineArn.split(":").pop()), name),
          h("h1", {}, "Execution ", h("span", { class: "name" }, name), " ", badge(execution.status)),
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Started"),
            h("dd", {}, when(execution.startDate)),
            h("dt", {}, "Ended"),
            h("dd", {}, execution.stopDate ? when(execution.stopDate) : "—"),
            execution.error ? [h("dt", {}, "Error"), h("dd", { class: "mono" }, execution.error)] : null,
            execution.cause ? [h("dt", {}, "Cause"), h("dd", {}, execution.cause)] : null,
            h("dt", {}, "ARN"),
            h("dd", { class: "mono small" }, arn),
          ),
          h("div", { class: "legend" }, ["succeeded", "running", "caught", "failed", "aborted", "none"].map((s) => h("span", { class: `key key-${s}` }, s === "none" ? "not entered" : s))),
          h("div", { class: "split" }, h("div", { class: "graph-box" }, graph), h("div", { class: "side" }, detailBox)),
          h("div", { class: "two" }, h("div", {}, h("h2", {}, "Execution input"), code(execution.input)), h("div", {}, h("h2", {}, "Execution output"), execution.output ? code(execution.output) : h("p", { class: "muted" }, "—"))),
          h("h2", {}, "Event history"),
          historyTable(events),
        ];
        detailBox.replaceChildren(stateDetail(latest, selected));
        for (const node of graph.querySelectorAll(".node")) node.classList.toggle("selected", node.dataset.state === selected);
        return out;
      },
    };
  }

  function stateDetail(latest, selected) {
    if (!selected) return h("p", { class: "muted" }, "Select a state in the graph to see its input, output and events.");
    const s = latest.path.states[selected];
    if (!s) return h("div", {}, h("h2", {}, selected), h("p", { class: "muted" }, "This execution has not entered this state."));
    return h(
      "div",
      { id: "state-detail", "data-state": selected },
      h("h2", {}, selected, " ", badge(s.status)),
      s.visits > 1 ? h("p", { class: "muted" }, `Entered ${s.visits} times; the last visit is shown.`) : null,
      s.error ? h("p", {}, h("b", {}, "Error: "), s.error, s.cause ? [h("br"), s.cause] : null) : null,
      h("h3", {}, "Input"),
      code(s.input, "state-input"),
      h("h3", {}, "Output"),
      s.output !== undefined ? code(s.output, "state-output") : h("p", { class: "muted" }, "—"),
      h("h3", {}, "Events"),
      historyTable(s.events),
    );
  }

  function historyTable(events) {
    const start = events.length ? events[0].timestamp : 0;
    return table(
      ["Id", "Type", "State", "Elapsed", "Details"],
      events.map((e) => {
        const detailsKey = Object.keys(e).find((k) => k.endsWith("EventDetails"));
        const details = detailsKey ? e[detailsKey] : null;
        const stateName = details && details.name && /State(Entered|Exited)$/.test(e.type) ? details.name : "";
        return h(
          "tr",
          { class: `event event-${/(Failed|TimedOut|Aborted)$/.test(e.type) ? "bad" : "ok"}`, "data-event-type": e.type },
          h("td", { class: "num" }, e.id),
          h("td", {}, e.type),
          h("td", {}, stateName),
          h("td", { class: "num small" }, `${Math.round((e.timestamp - start) * 1000)} ms`),
          h("td", {}, details ? h("details", {}, h("summary", {}, summarise(details)), code(details)) : ""),
        );
      }),
      "No events.",
    );
  }

  function summarise(details) {
    const text = Object.entries(details)
      .filter(([, v]) => typeof v !== "object")
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
    return text.length > 90 ? text.slice(0, 89) + "…" : text || "details";
  }

  // ---- traces: the newest flows (GET /_stepyard/traces), and one flow as a timeline across
  // the services (GET /_stepyard/traces/<id>)

  function tracesPage(service) {
    return {
      title: "Traces",
      nav: "traces",
      async load() {
        const query = service ? `?service=${enc(service)}&limit=200` : "?limit=200";
        return Aws.stepyard(`/_stepyard/traces${query}`);
      },
      render(data) {
        const services = ["", "events", "states", "sqs", "sns"];
        return [
          h("h1", {}, "Traces"),
          h(
            "p",
            { class: "muted" },
            "Every request and everything it caused (rules evaluated, deliveries, executions and their states, messages sent, received and deleted) is one trace. Newest first.",
          ),
          h(
            "p",
            { class: "filters" },
            "Service: ",
            services.map((s) => [link(s ? `#/traces/${s}` : "#/traces", s || "all", { class: s === (service || "") ? "current" : "" }), " "]),
          ),
          table(
            ["Trace", "First span", "Started", "Duration", "Services", "Spans", "Status"],
            data.traces.map((t) =>
              h(
                "tr",
                { class: "trace-row", "data-trace": t.traceId },
                h("td", { class: "mono small" }, link(`#/trace/${enc(t.traceId)}`, t.traceId)),
                h("td", {}, t.root ? `${t.root.service} ${t.root.name}` : ""),
                h("td", { class: "small" }, t.startTime.replace("T", " ").replace("Z", "")),
                h("td", { class: "num" }, `${t.durationMs.toFixed(1)} ms`),
                h("td", {}, t.services.map((s) => h("span", { class: `svc svc-${s}` }, s))),
                h("td", { class: "num" }, t.spanCount),
                h("td", {}, badge(t.status === "error" ? "FAILED" : "SUCCEEDED")),
              ),
            ),
            "No traces yet: send a request to any service.",
          ),
        ];
      },
    };
  }

  function tracePage(id) {
    let selected = null;
    let latest = null;
    let detailBox = null;
    const select = (spanId) => {
      selected = spanId;
      for (const row of document.querySelectorAll(".timeline .span-row")) row.classList.toggle("selected", row.dataset.span === selected);
      if (detailBox && latest) detailBox.replaceChildren(spanDetail(latest, selected));
    };
    return {
      title: `Trace ${id}`,
      nav: "traces",
      async load() {
        return Aws.stepyard(`/_stepyard/traces/${enc(id)}`);
      },
      render(data) {
        latest = data;
        const spans = orderSpans(data.spans);
        const start = Math.min(...spans.map((s) => s.span.startUs));
        const end = Math.max(...spans.map((s) => s.span.endUs));
        const total = Math.max(end - start, 1);
        const services = [...new Set(spans.map((s) => s.span.service))];
        detailBox = h("div", { class: "span-detail" });
        detailBox.replaceChildren(spanDetail(data, selected));
        const rows = spans.map(({ span, depth }) => {
          const bar = h("div", { class: `bar svc-bg-${span.service}${span.status === "error" ? " bar-error" : ""}` });
          // Positions go through the CSS object model: the page's policy forbids style attributes.
          bar.style.left = `${((span.startUs - start) / total) * 100}%`;
          bar.style.width = `${Math.max(((span.endUs - span.startUs) / total) * 100, 0.4)}%`;
          const label = h(
            "div",
            { class: "span-label" },
            h("span", { class: `svc svc-${span.service}` }, span.service),
            " ",
            h("span", { class: "span-name" }, span.name),
            span.resource ? h("span", { class: "muted small" }, " ", String(span.resource).split(":").pop()) : null,
          );
          label.style.paddingLeft = `${depth * 14}px`;
          return h(
            "div",
            {
              class: `span-row${span.spanId === selected ? " selected" : ""}${span.status === "error" ? " span-error" : ""}`,
              "data-span": span.spanId,
              "data-service": span.service,
              onclick: () => select(span.spanId),
            },
            label,
            h("div", { class: "track" }, bar),
            h("div", { class: "num small span-ms" }, `${((span.endUs - span.startUs) / 1000).toFixed(2)} ms`),
          );
        });
        return [
          h("p", { class: "crumbs" }, link("#/traces", "Traces"), " › ", id),
          h("h1", {}, "Trace ", h("span", { class: "name" }, id)),
          h(
            "dl",
            { class: "facts" },
            h("dt", {}, "Services"),
            h("dd", {}, services.map((s) => h("span", { class: `svc svc-${s}` }, s))),
            h("dt", {}, "Spans"),
            h("dd", {}, spans.length),
            h("dt", {}, "Duration"),
            h("dd", {}, `${(total / 1000).toFixed(2)} ms`),
          ),
          h("div", { class: "split" }, h("div", { class: "timeline", id: "timeline" }, rows), h("div", { class: "side" }, detailBox)),
        ];
      },
    };
  }

  // Spans in causal order: each under the span that caused it, siblings by start time.
  function orderSpans(spans) {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const children = new Map();
    const roots = [];
    for (const s of spans) {
      if (s.parentSpanId && byId.has(s.parentSpanId) && s.parentSpanId !== s.spanId) {
        if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
        children.get(s.parentSpanId).push(s);
      } else roots.push(s);
    }
    const out = [];
    const seen = new Set();
    const walk = (s, depth) => {
      if (seen.has(s.spanId)) return;
      seen.add(s.spanId);
      out.push({ span: s, depth });
      for (const c of (children.get(s.spanId) || []).sort((a, b) => a.startUs - b.startUs)) walk(c, depth + 1);
    };
    for (const r of roots.sort((a, b) => a.startUs - b.startUs)) walk(r, 0);
    return out;
  }

  function spanDetail(data, spanId) {
    const span = data.spans.find((s) => s.spanId === spanId);
    if (!span) return h("p", { class: "muted" }, "Select a span to see its attributes.");
    const resourceLink = span.resource && String(span.resource).startsWith("arn:") ? arnOrLink(span.resource) : span.resource;
    return h(
      "div",
      { id: "span-detail" },
      h("h2", {}, span.service, " ", span.name, " ", badge(span.status === "error" ? "FAILED" : "SUCCEEDED")),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Resource"),
        h("dd", { class: "mono small" }, resourceLink || "—"),
        h("dt", {}, "Start"),
        h("dd", { class: "small" }, span.startTime),
        h("dt", {}, "End"),
        h("dd", { class: "small" }, span.endTime),
        h("dt", {}, "Span"),
        h("dd", { class: "mono small" }, span.spanId),
      ),
      h("h3", {}, "Attributes"),
      table(
        ["Name", "Value"],
        Object.entries(span.attributes || {}).map(([k, v]) =>
          h("tr", {}, h("td", { class: "mono small" }, k), h("td", {}, typeof v === "string" && /^[[{]/.test(v) ? code(v) : h("span", { class: "mono small" }, typeof v === "string" ? v : JSON.stringify(v)))),
        ),
        "No attributes.",
      ),
    );
  }

  window.addEventListener("hashchange", route);
  route();
})();
