// State machine graphs as the AWS console draws them: states as boxes, transitions as arrows
// top to bottom, Choice branches fanning out, Catch transitions dashed, Parallel and Map
// states as boxes holding their branches. Laid out here by a small layered (Sugiyama-style)
// layout: ranks by longest path over the transitions that do not loop back, dummy points on
// transitions that skip ranks, barycentre ordering to untangle crossings, then x positions
// pulled towards each state's neighbours.
"use strict";

const Graph = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const GAP_X = 28;
  const GAP_Y = 44;
  const PAD = 14;
  const HEADER = 30;
  const NODE_H = 44;
  const DUMMY_W = 12;
  const START = "__start__";
  const END = "__end__";

  // ---- the model: states and transitions of one scope (the machine, a branch, a processor)

  function buildScope(states, startAt, top) {
    const nodes = [];
    const byName = new Map();
    for (const [name, def] of Object.entries(states || {})) {
      const node = { id: name, name, type: String(def.Type || "?"), def };
      if (node.type === "Parallel") {
        node.children = (def.Branches || []).map((b) => layoutScope(buildScope(b.States, b.StartAt, false)));
      } else if (node.type === "Map") {
        const processor = def.ItemProcessor || def.Iterator;
        node.children = processor ? [layoutScope(buildScope(processor.States, processor.StartAt, false))] : [];
      }
      nodes.push(node);
      byName.set(name, node);
    }
    const edges = [];
    const add = (from, to, kind, label) => {
      if (byName.has(to)) edges.push({ from, to, kind, label });
    };
    for (const node of nodes) {
      const def = node.def;
      if (node.type === "Choice") {
        (def.Choices || []).forEach((rule) => add(node.id, rule.Next, "choice", describeRule(rule)));
        if (def.Default) add(node.id, def.Default, "default", "Default");
      } else if (typeof def.Next === "string") {
        add(node.id, def.Next, "next", "");
      }
      for (const c of def.Catch || []) add(node.id, c.Next, "catch", (c.ErrorEquals || []).join(", "));
    }
    let root = startAt;
    if (top) {
      nodes.unshift({ id: START, name: "Start", type: "terminal" });
      nodes.push({ id: END, name: "End", type: "terminal" });
      byName.set(START, nodes[0]).set(END, nodes[nodes.length - 1]);
      add(START, startAt, "next", "");
      for (const node of nodes) {
        if (!node.def) continue;
        if (node.def.End === true || node.type === "Succeed" || node.type === "Fail") add(node.id, END, "next", "");
      }
      root = START;
    }
    return { nodes, edges, root };
  }

  // A Choice rule in a few words: `$.x == 5`, `and(2)`, or a JSONata condition.
  function describeRule(rule) {
    let text;
    if (typeof rule.Condition === "string") text = rule.Condition.replace(/^\{%\s*|\s*%\}$/g, "");
    else if (rule.And) text = `And (${rule.And.length})`;
    else if (rule.Or) text = `Or (${rule.Or.length})`;
    else if (rule.Not) text = `Not ${describeRule(rule.Not)}`;
    else {
      const op = Object.keys(rule).find((k) => k !== "Variable" && k !== "Next" && k !== "Comment" && k !== "Assign" && k !== "Output");
      const symbols = { Equals: "==", LessThan: "<", GreaterThan: ">", LessThanEquals: "<=", GreaterThanEquals: ">=" };
      const short = op ? op.replace(/^(String|Numeric|Boolean|Timestamp)/, "").replace(/Path$/, "") : "";
      const symbol = symbols[short] || (op ? op : "?");
      const value = op ? JSON.stringify(rule[op]) : "";
      text = `${rule.Variable || ""} ${symbol} ${value}`.trim();
    }
    return text.length > 32 ? text.slice(0, 31) + "\u2026" : text;
  }

  // ---- layout

  function labelWidth(text, px) {
    return Math.ceil(String(text).length * px * 0.6);
  }

  function sizeNode(node) {
    if (node.type === "terminal") {
      node.w = 64;
      node.h = 28;
    } else if (node.children) {
      const inner = node.children.reduce((sum, c) => sum + c.width, 0) + GAP_X * Math.max(0, node.children.length - 1);
      node.w = Math.max(inner + 2 * PAD, labelWidth(`${node.name} \u00b7 ${node.type}`, 13) + 2 * PAD, 140);
      node.h = HEADER + Math.max(40, ...node.children.map((c) => c.height)) + PAD;
    } else {
      node.w = Math.max(130, Math.min(labelWidth(node.name, 13), 320) + 28);
      node.h = NODE_H;
    }
  }

  function layoutScope(scope) {
    const { nodes, edges } = scope;
    nodes.forEach(sizeNode);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const out = new Map(nodes.map((n) => [n.id, []]));
    edges.forEach((e) => out.get(e.from).push(e));

    // Depth-first from the start (then from anything unreachable): an edge to a state still
    // on the stack loops back; the rest form an acyclic graph to rank.
    const mark = new Map();
    const post = [];
    const pre = new Map();
    const visit = (id) => {
      mark.set(id, 1);
      pre.set(id, pre.size);
      for (const e of out.get(id)) {
        const m = mark.get(e.to);
        if (m === 1) e.back = true;
        else if (!m) visit(e.to);
      }
      mark.set(id, 2);
      post.push(id);
    };
    if (byId.has(scope.root)) visit(scope.root);
    for (const n of nodes) if (!mark.has(n.id) && n.id !== END) visit(n.id);
    if (byId.has(END) && !mark.has(END)) visit(END);

    const rank = new Map(nodes.map((n) => [n.id, 0]));
    for (const id of post.slice().reverse()) {
      for (const e of out.get(id)) if (!e.back) rank.set(e.to, Math.max(rank.get(e.to), rank.get(id) + 1));
    }
    if (byId.has(END)) {
      const deepest = Math.max(0, ...nodes.filter((n) => n.id !== END).map((n) => rank.get(n.id)));
      rank.set(END, deepest + 1);
    }

    // Layers, with a dummy point wherever a forward edge skips a rank.
    const depth = Math.max(0, ...rank.values()) + 1;
    const layers = Array.from({ length: depth }, () => []);
    const items = new Map();
    for (const n of nodes) {
      const item = { id: n.id, node: n, w: n.w, h: n.h, rank: rank.get(n.id), up: [], down: [], key: pre.get(n.id) || 0 };
      items.set(n.id, item);
      layers[item.rank].push(item);
    }
    let dummies = 0;
    for (const e of edges) {
      if (e.back) continue;
      const from = items.get(e.from);
      const to = items.get(e.to);
      let previous = from;
      e.via = [];
      for (let r = from.rank + 1; r < to.rank; r++) {
        const dummy = { id: `~${dummies++}`, w: DUMMY_W, h: 0, rank: r, up: [previous], down: [], key: from.key + 0.5 };
        previous.down.push(dummy);
        layers[r].push(dummy);
        e.via.push(dummy);
        previous = dummy;
      }
      previous.down.push(to);
      to.up.push(previous);
    }

    // Order within layers: sweeps placing each item at the mean position of its neighbours.
    layers.forEach((layer) => layer.sort((a, b) => a.key - b.key));
    const positions = () => layers.forEach((layer) => layer.forEach((item, i) => (item.pos = i)));
    positions();
    const sweep = (down) => {
      const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
      for (const layer of order) {
        for (const item of layer) {
          const near = down ? item.up : item.down;
          if (near.length) item.bary = near.reduce((s, n) => s + n.pos, 0) / near.length;
          else item.bary = item.pos;
        }
        layer.sort((a, b) => a.bary - b.bary || a.pos - b.pos);
        layer.forEach((item, i) => (item.pos = i));
      }
    };
    for (let i = 0; i < 4; i++) {
      sweep(true);
      sweep(false);
    }
    sweep(true);

    // x: start packed and centred, then pull every item towards its neighbours' mean while
    // keeping the order and the gaps (the mean of a left-packed and a right-packed placement
    // keeps both).
    const place = (layer, want) => {
      const n = layer.length;
      const sep = (i) => (layer[i].w + layer[i + 1].w) / 2 + GAP_X;
      const left = new Array(n);
      const right = new Array(n);
      for (let i = 0; i < n; i++) left[i] = i === 0 ? want[0] : Math.max(want[i], left[i - 1] + sep(i - 1));
      for (let i = n - 1; i >= 0; i--) right[i] = i === n - 1 ? want[n - 1] : Math.min(want[i], right[i + 1] - sep(i));
      layer.forEach((item, i) => (item.x = (left[i] + right[i]) / 2));
    };
    for (const layer of layers) {
      let x = 0;
      const want = layer.map((item) => {
        const at = x + item.w / 2;
        x += item.w + GAP_X;
        return at;
      });
      const shift = (x - GAP_X) / 2;
      place(layer, want.map((w) => w - shift));
    }
    const pull = (down) => {
      const order = down ? layers.slice(1) : layers.slice(0, -1).reverse();
      for (const layer of order) {
        const want = layer.map((item) => {
          const near = down ? item.up : item.down;
          return near.length ? near.reduce((s, n) => s + n.x, 0) / near.length : item.x;
        });
        place(layer, want);
      }
    };
    pull(true);
    pull(false);
    pull(true);

    // y: one band per layer, as tall as its tallest item, items at its top so that arrows
    // leave short states straight down; a dummy spans its band.
    let y = PAD;
    for (const layer of layers) {
      const tall = Math.max(0, ...layer.map((item) => item.h));
      for (const item of layer) {
        item.y = y + item.h / 2;
        item.top = y;
        item.bottom = y + tall;
      }
      y += tall + GAP_Y;
    }
    const all = layers.flat();
    const minX = Math.min(...all.map((item) => item.x - item.w / 2));
    for (const item of all) item.x += PAD - minX;
    let width = Math.max(...all.map((item) => item.x + item.w / 2)) + PAD;
    // Each loop back gets its own lane right of what it passes.
    let lanes = 0;
    for (const e of edges.filter((edge) => edge.back)) {
      const low = Math.min(items.get(e.from).rank, items.get(e.to).rank);
      const high = Math.max(items.get(e.from).rank, items.get(e.to).rank);
      const passed = all.filter((item) => item.rank >= low && item.rank <= high);
      e.lane = Math.max(...passed.map((item) => item.x + item.w / 2)) + 22 + 14 * lanes++;
      width = Math.max(width, e.lane + PAD);
    }
    return { nodes, edges, items, width, height: y - GAP_Y + PAD };
  }

  // ---- drawing

  function svg(name, attrs, parent) {
    const el = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (parent) parent.appendChild(el);
    return el;
  }

  function text(parent, x, y, content, cls) {
    const t = svg("text", { x, y, class: cls }, parent);
    t.textContent = content;
    return t;
  }

  function edgePath(e, items) {
    const from = items.get(e.from);
    const to = items.get(e.to);
    if (e.back) {
      // Out of the source's right side, up past everything between the two, into the
      // target's right side.
      const sx = from.x + from.w / 2;
      const tx = to.x + to.w / 2;
      const bend = e.lane;
      const r = 8;
      const d = `M${sx},${from.y} L${bend - r},${from.y} Q${bend},${from.y} ${bend},${from.y - r} L${bend},${to.y + r} Q${bend},${to.y} ${bend - r},${to.y} L${tx + 7},${to.y}`;
      return { d, label: [bend, (from.y + to.y) / 2] };
    }
    const via = (e.via || []).flatMap((d) => [[d.x, d.top], [d.x, d.bottom]]);
    const points = [[from.x, from.y + from.h / 2], ...via, [to.x, to.y - to.h / 2 - 7]];
    let d = `M${points[0][0]},${points[0][1]}`;
    for (let i = 1; i < points.length; i++) {
      const [x0, y0] = points[i - 1];
      const [x1, y1] = points[i];
      const mid = (y0 + y1) / 2;
      d += x0 === x1 ? ` L${x1},${y1}` : ` C${x0},${mid} ${x1},${mid} ${x1},${y1}`;
    }
    // Labels go where the arrow crosses the gap below its source: between layers, clear of boxes.
    const [ax, ay] = points[0];
    const [bx, by] = points[1];
    return { d, label: [(ax + bx) / 2, (ay + by) / 2] };
  }

  function drawScope(group, lay, status, onSelect) {
    const edgeLayer = svg("g", { class: "edges" }, group);
    for (const e of lay.edges) {
      const { d, label } = edgePath(e, lay.items);
      const taken = status.edges.has(`${e.from}>${e.to}`);
      const cls = `edge edge-${e.kind}${e.back ? " edge-back" : ""}${taken ? " edge-taken" : ""}`;
      svg("path", { d, class: cls, "marker-end": taken ? "url(#arrow-taken)" : "url(#arrow)" }, edgeLayer);
      if (e.label) {
        const w = labelWidth(e.label, 11) + 8;
        const g = svg("g", { class: `edge-label${taken ? " edge-label-taken" : ""}` }, edgeLayer);
        svg("rect", { x: label[0] - w / 2, y: label[1] - 8, width: w, height: 16, rx: 3 }, g);
        text(g, label[0], label[1] + 4, e.label, "edge-label-text");
      }
    }
    for (const node of lay.nodes) {
      const item = lay.items.get(node.id);
      const x = item.x - item.w / 2;
      const y = item.y - item.h / 2;
      const seen = status.states[node.name];
      const state = node.type === "terminal" ? "terminal" : seen ? seen.status : "none";
      const g = svg("g", { class: `node node-${state}${node.children ? " node-group" : ""}`, "data-state": node.name, "data-type": node.type }, group);
      if (node.type === "terminal") {
        const reached = node.id === START ? status.started : status.ended;
        g.setAttribute("class", `node node-terminal${reached ? " node-reached" : ""}`);
        svg("rect", { x, y, width: item.w, height: item.h, rx: item.h / 2 }, g);
        text(g, item.x, item.y + 4, node.name, "node-name");
        continue;
      }
      const title = svg("title", {}, g);
      title.textContent = `${node.name} (${node.type})${seen ? ": " + seen.status : ""}`;
      svg("rect", { x, y, width: item.w, height: item.h, rx: 4 }, g);
      if (node.children) {
        text(g, x + 10, y + 19, `${node.name} \u00b7 ${node.type}`, "node-name node-group-name");
        let cx = x + (item.w - (node.children.reduce((s, c) => s + c.width, 0) + GAP_X * Math.max(0, node.children.length - 1))) / 2;
        for (const child of node.children) {
          const inner = svg("g", { transform: `translate(${cx},${y + HEADER})`, class: "branch" }, g);
          if (node.children.length > 1) svg("rect", { x: 0, y: 0, width: child.width, height: child.height, rx: 4, class: "branch-frame" }, inner);
          drawScope(inner, child, status, onSelect);
          cx += child.width + GAP_X;
        }
      } else {
        const name = node.name.length > 40 ? node.name.slice(0, 39) + "\u2026" : node.name;
        text(g, item.x, item.y - 2, name, "node-name");
        text(g, item.x, item.y + 13, node.type, "node-type");
      }
      if (onSelect) {
        g.addEventListener("click", (event) => {
          event.stopPropagation();
          onSelect(node.name);
        });
      }
    }
  }

  // The graph of an ASL definition (text) as an <svg>; `status` (from `pathFromHistory`)
  // colours the states and transitions an execution went through; `onSelect(stateName)` is
  // called when a state is clicked.
  function render(definitionText, status, onSelect) {
    const definition = JSON.parse(definitionText);
    const lay = layoutScope(buildScope(definition.States, definition.StartAt, true));
    const root = svg("svg", {
      class: "graph",
      width: lay.width,
      height: lay.height,
      viewBox: `0 0 ${lay.width} ${lay.height}`,
      role: "img",
      "aria-label": "state machine graph",
    });
    const defs = svg("defs", {}, root);
    for (const id of ["arrow", "arrow-taken"]) {
      const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 2, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: id }, marker);
    }
    drawScope(root, lay, status || emptyStatus(), onSelect);
    return root;
  }

  function emptyStatus() {
    return { states: {}, edges: new Set(), started: false, ended: false };
  }

  // ---- an execution's path, from GetExecutionHistory's events (oldest first)

  const FAILURE = /(Failed|TimedOut|Aborted)$/;

  function pathFromHistory(events, executionStatus) {
    const status = emptyStatus();
    const byId = new Map(events.map((e) => [e.id, e]));
    const details = (e) => e.stateEnteredEventDetails || e.stateExitedEventDetails || {};
    // The nearest earlier event of a kind, following previousEventId (which threads each
    // branch of a Parallel or Map on its own), else the list order.
    const position = new Map(events.map((e, i) => [e.id, i]));
    const before = (event, test) => {
      let hops = 0;
      let at = byId.get(event.previousEventId);
      while (at && hops++ < events.length) {
        if (test(at)) return at;
        at = byId.get(at.previousEventId);
      }
      // AWS leaves the first state's previousEventId at 0: fall back to the list.
      for (let i = position.get(event.id) - 1; i >= 0; i--) if (test(events[i])) return events[i];
      return null;
    };
    const stateOf = (name) => {
      if (!status.states[name]) status.states[name] = { name, status: "running", visits: 0, events: [] };
      return status.states[name];
    };
    const isEntered = (e) => e.type.endsWith("StateEntered");
    const isExited = (e) => e.type.endsWith("StateExited");
    for (const event of events) {
      if (event.type === "ExecutionStarted") {
        status.started = true;
        continue;
      }
      if (isEntered(event)) {
        const s = stateOf(details(event).name);
        s.visits += 1;
        s.status = "running";
        s.input = details(event).input;
        s.failed = false;
        s.events.push(event);
        const prior = before(event, (e) => isExited(e) || isEntered(e) || e.type === "ExecutionStarted");
        if (prior && prior.type === "ExecutionStarted") status.edges.add(`${START}>${s.name}`);
        else if (prior && isExited(prior)) status.edges.add(`${details(prior).name}>${s.name}`);
        continue;
      }
      if (isExited(event)) {
        const s = stateOf(details(event).name);
        s.status = s.failed ? "caught" : "succeeded";
        s.output = details(event).output;
        s.events.push(event);
        continue;
      }
      if (event.type.startsWith("Execution")) {
        if (event.type === "ExecutionSucceeded" || event.type === "ExecutionFailed") {
          const last = before(event, (e) => isExited(e) || isEntered(e));
          const name = last && details(last).name;
          const def = name && status.states[name];
          if (def && (event.type === "ExecutionSucceeded" || last.type === "FailStateEntered")) {
            status.edges.add(`${name}>${END}`);
            status.ended = true;
          }
        }
        continue;
      }
      const owner = before(event, isEntered);
      if (!owner) continue;
      const s = stateOf(details(owner).name);
      s.events.push(event);
      if (FAILURE.test(event.type)) {
        s.failed = true;
        s.status = "failed";
        const failure = Object.entries(event).find(([k]) => k.endsWith("EventDetails"));
        if (failure) {
          s.error = failure[1].error;
          s.cause = failure[1].cause;
        }
      }
    }
    // States a failed or stopped execution left open are where it ended.
    if (executionStatus && executionStatus !== "RUNNING") {
      for (const s of Object.values(status.states)) {
        if (s.status === "running") s.status = executionStatus === "ABORTED" ? "aborted" : "failed";
      }
      if (executionStatus === "FAILED") {
        for (const s of Object.values(status.states)) if (s.name && s.events.some((e) => e.type === "FailStateEntered")) s.status = "failed";
      }
    }
    return status;
  }

  return { render, pathFromHistory, START, END };
})();
