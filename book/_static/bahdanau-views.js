/* Live views of the shipped models in the book's pages, the browser's twin of bahdanau.chapters.interactive.
 *
 * Two views, each built into a placeholder that a page holds as raw HTML:
 *
 *   <div class="bahdanau-live" data-view="translate" data-models="attention rnnsearch-30"
 *        data-default="i have a red car ."></div>
 *   <div class="bahdanau-live" data-view="steps" data-models="attention"
 *        data-default="he is reading a book in the garden ."></div>
 *
 * data-models names models of the registry (bahdanau.pretrained.SHIPPED, which the export writes
 * into models/registry.js for bahdanau-web.js); without it a view runs the registry's default.
 * A model's name on the page is the message "model" + its name in camel case (modelRnnsearch30 for
 * rnnsearch-30): tests/test_browser_parity.py checks that every model of the registry has one.
 * - "translate" (interactive.translate_box): a text box; the French appears as the reader types,
 *   with its attention heatmap (rows: output tokens and <eos>, columns: source tokens and <eos>)
 *   and the words the model does not know. Two or more names in data-models add a model switch.
 * - "steps" (interactive.step_through): a slider over the greedy decoder's steps of one sentence,
 *   showing the query s_{i-1}, the scores e_ij and weights alpha_ij per source token (bar charts
 *   and a table) and the token written at that step.
 *
 * The models run in bahdanau-web.js (window.bahdanauWeb). Without JavaScript the placeholders stay
 * empty and the page shows what it always did: the notebook's PNG of the widget's first state.
 * Every text the views write comes from MESSAGES, in the page's language: Simplified Chinese when
 * <html lang> starts with "zh" (the book's zh_CN edition), English otherwise. What counts as empty
 * input is the port's (bahdanau-web.js, which is Python's): the views never decide it themselves.
 * Plain ES, no framework, no build step; it works from file:// as over http. Bad input (empty,
 * too long, unknown words, emoji, other scripts, pasted pages of text) gets a message in the view;
 * nothing is ever thrown into the console.
 *
 * Shapes: S source length (<eos> included), T output length (<eos> included when produced).
 */
(function () {
  "use strict";

  // How long typing must pause before the box translates: short enough to feel live.
  const DEBOUNCE_MS = 200;
  // How many leading values of the query s_{i-1} the step view prints (the notebook prints 4).
  const QUERY_PREVIEW = 8;
  // A token longer than this is shortened in labels (a pasted page may hold a 10,000-letter "word").
  const LABEL_CHARS = 18;
  // At most this many unknown words are named; the rest are counted.
  const UNKNOWN_SHOWN = 12;
  // Every text the views write, one table per language of the page, chosen once from
  // <html lang> (Sphinx writes lang="zh-CN" for the Simplified Chinese edition). {name} is filled
  // with a number, a token or a node; tokens, numbers and the model's French stay as they are.
  const MESSAGES = {
    en: {
      heatmapTitle: "Which English words each French word looked at",  // as interactive.translate_box
      empty: "Type an English sentence above: the French appears as you type.",
      modelAttention: "d2l's model (attention)",
      modelRnnsearch30: "the paper's model (RNNsearch-30)",
      scriptMissing: "the models' script (bahdanau-web.js) did not load",
      truncated: "The sentence is longer than the model reads: it was translated up to its first {count} "
        + "tokens (the rest was left out).",
      unknownWords: "Unknown words (the model read them as <unk>): {words}{more}.",
      unknownMore: " and {count} more",
      wordSeparator: ", ",
      otherScripts: "The models know English words only: emoji and letters of other scripts are read as <unk>.",
      allUnknown: "The model knows none of these words: its French is only a guess.",
      corner: "French ↓ English →",
      cellLabel: "{target} ← {source}: {weight}",
      colourKey: "attention weight: 0 {bar} 1",
      translating: "Translating…",
      failed: "The model could not translate this: {error}",
      modelLabel: "Model",
      englishLabel: "English",
      translatePlaceholder: "an English sentence, e.g. i'm home .",
      readoutHint: "Hover over or focus a cell (then use the arrow keys) to read its weight.",
      axes: "rows: output (French), <eos> included · columns: source (English), <eos> included",
      translatedBy: "Translated by {model}.",
      french: "French: {french}",
      nothing: "(nothing)",
      stepsPlaceholder: "an English sentence",
      stepLabel: "Step",
      modelShown: "model: {model}",
      position: "{step} of {count}",
      stepValueText: "step {step} of {count}: outputs {token}",
      stepTitle: "Step {step} of {count}: after '{fed}' the decoder looks at '{looked}' and outputs '{token}'",
      stepName: "Step {step}",
      stepDetails: "{name}: input {fed}; {query}output {token}",
      stepQuery: "query s{sub} = [{values}] (norm {norm}, {count} values); ",
      scoresLabel: "scores e_{step}j per source token",
      weightsLabel: "weights α_{step}j per source token",
      chartLabel: "{label}: {values}",
      valueSeparator: ", ",
      tokenValue: "{token}: {value}",
      scoresCaption: "score {e}{sub} per source token",
      weightsCaption: "weight {alpha}{sub} per source token (0 to 1)",
      tableCaption: "Step {step}: scores and weights per source token",
      sourceToken: "source token",
      scoreHeader: "score e",
      weightHeader: "weight α",
      viewFailed: "This live view failed: {error}",
      noSuchView: "no view called \"{name}\"",
    },
    zh: {
      heatmapTitle: "每个法语词元关注了哪些英语词元",
      empty: "请在上方输入一个英语句子：法语译文会随着输入即时显示。",
      modelAttention: "d2l 的模型（注意力）",
      modelRnnsearch30: "论文的模型（RNNsearch-30）",
      scriptMissing: "模型脚本（bahdanau-web.js）未能加载",
      truncated: "句子超出了模型能读取的长度：只翻译了前 {count} 个词元（其余部分被略去）。",
      unknownWords: "未知词（模型把它们读作 <unk>）：{words}{more}。",
      unknownMore: "，另有 {count} 个",
      wordSeparator: "、",
      otherScripts: "模型只认识英语单词：表情符号和其他文字的字符都会被读作 <unk>。",
      allUnknown: "这些词模型一个也不认识：它给出的法语只是猜测。",
      corner: "法语 ↓ 英语 →",
      cellLabel: "{target} ← {source}：注意力权重 {weight}",
      colourKey: "注意力权重：0 {bar} 1",
      translating: "正在翻译…",
      failed: "模型无法翻译这段文字：{error}",
      modelLabel: "模型",
      englishLabel: "英语",
      translatePlaceholder: "输入一个英语句子，例如 i'm home .",
      readoutHint: "将鼠标悬停在单元格上，或让单元格获得焦点（再用方向键移动），即可读出它的注意力权重。",
      axes: "行：输出词元（法语），含 <eos> · 列：源词元（英语），含 <eos>",
      translatedBy: "翻译所用的模型：{model}。",
      french: "法语：{french}",
      nothing: "（无）",
      stepsPlaceholder: "输入一个英语句子",
      stepLabel: "步骤",
      modelShown: "模型：{model}",
      position: "第 {step} 步，共 {count} 步",
      stepValueText: "第 {step} 步，共 {count} 步：输出 {token}",
      stepTitle: "第 {step} 步，共 {count} 步：读入“{fed}”之后，解码器关注“{looked}”，输出“{token}”",
      stepName: "第 {step} 步",
      stepDetails: "{name}：输入 {fed}；{query}输出 {token}",
      stepQuery: "查询 s{sub} = [{values}]（范数 {norm}，共 {count} 个值）；",
      scoresLabel: "每个源词元的注意力分数 e_{step}j",
      weightsLabel: "每个源词元的注意力权重 α_{step}j",
      chartLabel: "{label}：{values}",
      valueSeparator: "，",
      tokenValue: "{token}：{value}",
      scoresCaption: "每个源词元的注意力分数 {e}{sub}",
      weightsCaption: "每个源词元的注意力权重 {alpha}{sub}（0 到 1）",
      tableCaption: "第 {step} 步：每个源词元的注意力分数和注意力权重",
      sourceToken: "源词元",
      scoreHeader: "分数 e",
      weightHeader: "权重 α",
      viewFailed: "此交互视图出错：{error}",
      noSuchView: "没有名为“{name}”的视图",
    },
  };
  const LANGUAGE = String(document.documentElement.lang || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  const TEXT = MESSAGES[LANGUAGE];
  // The colour map of the book's heatmaps, matplotlib's "Reds" (the 9 ColorBrewer colours it is
  // made from), for weights 0 to 1: one hue, light to dark, readable with any colour vision.
  const REDS = ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15",
                "#67000d"];
  // Okabe-Ito: blue for scores e_ij, vermillion for weights alpha_ij.
  const SCORE_COLOUR = "#0072B2";
  const WEIGHT_COLOUR = "#D55E00";
  const SVG_NS = "http://www.w3.org/2000/svg";

  let viewCount = 0;

  // ---------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  /* The message `key` of the page's language as parts for el()'s children: its text, with each
   * {name} replaced by values[name] (a string, a number, a node or an array of them). */
  function parts(key, values) {
    const template = key in TEXT ? TEXT[key] : MESSAGES.en[key];
    const out = [];
    for (const piece of template.split(/(\{\w+\})/)) {
      const name = /^\{(\w+)\}$/.exec(piece);
      if (name && values && name[1] in values) {
        const value = values[name[1]];
        out.push(...(Array.isArray(value) ? value : [value]).map((v) => (typeof v === "number" ? String(v) : v)));
      } else if (piece) {
        out.push(piece);
      }
    }
    return out;
  }

  // The message `key` as a string (its values are strings or numbers).
  function say(key, values) {
    return parts(key, values).join("");
  }

  // The message naming model `name` on the page: "model" + the name in camel case
  // (attention -> modelAttention, no-attention -> modelNoAttention).
  function modelKey(name) {
    return "model" + String(name).split(/[^A-Za-z0-9]+/).filter(Boolean)
      .map((word) => word[0].toUpperCase() + word.slice(1)).join("");
  }

  // The model's name for the reader: its message, or the name itself when it has none.
  function modelName(name) {
    const key = modelKey(name);
    return key in TEXT || key in MESSAGES.en ? say(key) : String(name);
  }

  function svg(tag, attributes) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    return node;
  }

  function shortLabel(token) {
    const chars = Array.from(token);  // code points, so that an emoji is never cut in half
    return chars.length <= LABEL_CHARS ? token : chars.slice(0, LABEL_CHARS - 1).join("") + "…";
  }

  function code(text) {
    return el("code", {text: shortLabel(text)});
  }

  function redsColour(weight) {
    const x = Math.min(1, Math.max(0, Number(weight) || 0)) * (REDS.length - 1);
    const low = Math.floor(x);
    const high = Math.min(REDS.length - 1, low + 1);
    const mix = (a, b, t) => Math.round(a + (b - a) * t);
    const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const [a, b] = [rgb(REDS[low]), rgb(REDS[high])];
    return `rgb(${mix(a[0], b[0], x - low)}, ${mix(a[1], b[1], x - low)}, ${mix(a[2], b[2], x - low)})`;
  }

  function fixed(value, digits) {
    return Number.isFinite(value) ? value.toFixed(digits) : "–";
  }

  function signed(value) {
    return Number.isFinite(value) ? (value >= 0 ? "+" : "") + value.toFixed(3) : "–";
  }

  function describeError(error) {
    return error && error.message ? error.message : String(error);
  }

  function api() {
    const web = window.bahdanauWeb;
    if (!web || typeof web.translate !== "function") {
      throw new Error(say("scriptMissing"));
    }
    return web;
  }

  // The output tokens that label the attention rows: <eos> included when the model wrote it.
  function rowTokens(result) {
    const rows = result.tokens.slice(0, result.attention.length);
    while (rows.length < result.attention.length) rows.push("<eos>");
    return rows;
  }

  // The notes under a translation: the input was cut, words the model does not know.
  function resultNotes(result) {
    const notes = [];
    if (result.truncated) {
      notes.push(parts("truncated", {count: Math.max(0, result.srcTokens.length - 1)}));
    }
    const unknown = result.unknown || [];
    if (unknown.length) {
      const shown = unknown.slice(0, UNKNOWN_SHOWN);
      const words = [];
      shown.forEach((word, i) => words.push(...(i ? [say("wordSeparator"), code(word)] : [code(word)])));
      const more = unknown.length > shown.length ? say("unknownMore", {count: unknown.length - shown.length}) : "";
      notes.push(parts("unknownWords", {words, more}));
    }
    // Emoji and non-Latin scripts: the vocabulary holds English words only.
    if (unknown.some((word) => /[^\u0000-\u024f]/u.test(word))) {
      notes.push(parts("otherScripts"));
    }
    const words = result.srcTokens.length - 1;
    if (words > 0 && unknown.length > 0 && result.srcTokens.slice(0, -1).every((t) => unknown.includes(t))) {
      notes.push(parts("allUnknown"));
    }
    return notes;
  }

  function showNotes(container, notes) {
    container.replaceChildren(...notes.map((parts) => el("p", {className: "bw-note"}, parts)));
  }

  // ---------------------------------------------------------------------------------------------
  // The heatmap: a table, one focusable cell per weight
  // ---------------------------------------------------------------------------------------------

  /* attention: T rows of S weights; rows: T output tokens; columns: S source tokens.
   * One cell is in the tab order at a time (a roving tabindex); the arrow keys move between cells.
   * Hovering or focusing a cell writes "voiture ← car: 0.64" into readout. */
  function heatmapTable(attention, rows, columns, readout, caption) {
    const table = el("table", {className: "bw-heatmap", "aria-label": caption});
    const head = el("tr", {}, [el("th", {scope: "col", className: "bw-corner", text: say("corner")})]);
    columns.forEach((token) => head.append(el("th", {scope: "col", title: shortLabel(token), "data-token": token}, [
      el("span", {className: "bw-col-label", text: shortLabel(token)})])));
    table.append(el("thead", {}, [head]));
    const body = el("tbody");
    const cells = [];
    attention.forEach((weights, i) => {
      const row = el("tr", {}, [el("th", {scope: "row", "data-token": rows[i], text: shortLabel(rows[i])})]);
      cells.push([]);
      columns.forEach((source, j) => {
        const weight = Number(weights[j]);
        const label = say("cellLabel", {target: shortLabel(rows[i]), source: shortLabel(source),
                                        weight: fixed(weight, 2)});
        const cell = el("td", {tabindex: i === 0 && j === 0 ? "0" : "-1", "aria-label": label, title: label,
                               "data-weight": fixed(weight, 4)});
        cell.style.backgroundColor = redsColour(weight);
        const show = () => { readout.textContent = label; };
        cell.addEventListener("mouseenter", show);
        cell.addEventListener("focus", show);
        row.append(cell);
        cells[i].push(cell);
      });
      body.append(row);
    });
    table.append(body);
    table.addEventListener("keydown", (event) => {
      const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
      const move = moves[event.key];
      const cell = event.target.closest("td");
      if (!move || !cell) return;
      const i = cell.parentElement.rowIndex - 1;
      const j = cell.cellIndex - 1;
      const next = (cells[i + move[0]] || [])[j + move[1]];
      if (!next) return;
      event.preventDefault();
      cell.setAttribute("tabindex", "-1");
      next.setAttribute("tabindex", "0");
      next.focus();
    });
    return table;
  }

  function colourKey() {
    const stops = REDS.map((colour, i) => `${colour} ${Math.round((100 * i) / (REDS.length - 1))}%`);
    const bar = el("span", {className: "bw-key-bar", "aria-hidden": "true"});
    bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    return el("p", {className: "bw-key"}, parts("colourKey", {bar}));
  }

  // ---------------------------------------------------------------------------------------------
  // The typing loop both views share
  // ---------------------------------------------------------------------------------------------

  /* Translate what the box holds once typing pauses, and draw only the answer to the newest
   * request: each request gets a number, and an older answer that arrives late is dropped. Every
   * failure becomes a message in the view (clear), never an exception in the console. The
   * attributes data-pending and data-done of root say when the view has settled (the tests read
   * them). Returns run, which translates now. */
  function liveInput(root, input, status, {model, draw, clear}) {
    let latest = 0;
    let timer = null;

    async function run() {
      clearTimeout(timer);
      const request = ++latest;
      const text = input.value;
      const name = model();  // null: the registry's default, which the result names
      root.dataset.pending = String(request);
      try {
        status.textContent = say("translating");
        const result = await api().translate(text, name === null ? {} : {model: name});
        if (request !== latest) return;  // a newer input has been typed meanwhile: drop this answer
        // Empty is what the port says it is (Python's normalisation: only whitespace, in Python's sense).
        if (result.empty || !result.srcTokens.length || !result.steps.length) clear(say("empty"));
        else draw(result, result.model);
      } catch (error) {
        if (request !== latest) return;
        clear(say("failed", {error: describeError(error)}));
      }
      root.dataset.done = String(request);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      root.dataset.pending = "typing";  // settled again once the request after the pause is drawn
      timer = setTimeout(run, DEBOUNCE_MS);
    });
    input.form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    return run;
  }

  // ---------------------------------------------------------------------------------------------
  // View 1: translate your own sentence
  // ---------------------------------------------------------------------------------------------

  function modelSwitch(id, models) {
    const select = el("select", {id: `${id}-model`});
    models.forEach((name) => select.append(el("option", {value: name, text: modelName(name)})));
    return [el("label", {for: select.id, text: say("modelLabel")}), select];
  }

  function translateBox(root, models, initial) {
    const id = `bahdanau-view-${++viewCount}`;
    const input = el("input", {type: "text", id: `${id}-text`, className: "bw-text", autocomplete: "off",
                               spellcheck: "false", placeholder: say("translatePlaceholder")});
    input.value = initial;
    const status = el("p", {className: "bw-status", role: "status", "aria-live": "polite"});
    const french = el("p", {className: "bw-french", "aria-live": "polite"});
    const notes = el("div", {className: "bw-notes"});
    const readout = el("p", {className: "bw-readout", "aria-live": "polite",
                             text: say("readoutHint")});
    const map = el("div", {className: "bw-heatmap-scroll"});
    const controls = el("div", {className: "bw-controls"}, [
      el("label", {for: input.id, text: say("englishLabel")}), input]);
    let select = null;
    if (models.length > 1) {
      const [label, box] = modelSwitch(id, models);
      select = box;
      controls.append(label, box);
    }
    const figure = el("figure", {className: "bw-figure"}, [
      el("figcaption", {}, [el("b", {text: say("heatmapTitle")}), el("span", {className: "bw-axes",
        text: say("axes")})]),
      map, colourKey(), readout]);
    root.replaceChildren(el("form", {className: "bw-form", action: "#"}, [controls]), status, french, notes,
                         figure);

    function clear(message) {
      status.textContent = message;
      french.replaceChildren();
      notes.replaceChildren();
      map.replaceChildren();
      figure.hidden = true;
      root.dataset.state = "message";
    }

    function draw(result, model) {
      status.textContent = say("translatedBy", {model: modelName(model)});
      french.replaceChildren(...parts("french", {french: el("b", {text: result.tokens.join(" ") || say("nothing")})}));
      showNotes(notes, resultNotes(result));
      const rows = rowTokens(result);
      map.replaceChildren(heatmapTable(result.attention, rows, result.srcTokens, readout, say("heatmapTitle")));
      figure.hidden = false;
      root.dataset.state = "result";
      root.dataset.model = model;
    }

    const run = liveInput(root, input, status, {model: () => (select ? select.value : models[0] ?? null), draw,
                                                clear});
    if (select) select.addEventListener("change", run);
    run();
  }

  // ---------------------------------------------------------------------------------------------
  // View 2: step through the decoder
  // ---------------------------------------------------------------------------------------------

  /* A bar chart of values (S,) over the source tokens; fixed [0, 1] when range is given, else from
   * the data with a line at zero (scores may be negative). */
  function barChart(values, tokens, {colour, label, caption, range}) {
    const band = 44;
    const height = 120;
    const bottom = 64;  // room for the rotated token labels
    const left = 44;
    const width = left + band * tokens.length + 8;
    const finite = values.filter(Number.isFinite);
    let [low, high] = range || [Math.min(0, ...finite), Math.max(0, ...finite)];
    if (high - low < 1e-9) high = low + 1;
    const y = (v) => 8 + ((high - v) / (high - low)) * height;
    const chart = svg("svg", {width, height: height + bottom + 8, viewBox: `0 0 ${width} ${height + bottom + 8}`,
                              role: "img", class: "bw-bars",
                              "aria-label": say("chartLabel", {label, values: tokens.map((t, j) => `${t} ${fixed(values[j], 3)}`)
                                .join(say("valueSeparator"))})});
    const axisText = (v, yy) => {
      const text = svg("text", {x: left - 6, y: yy + 4, "text-anchor": "end", class: "bw-axis"});
      text.textContent = fixed(v, v === Math.round(v) ? 0 : 1);
      return text;
    };
    chart.append(axisText(high, y(high)), axisText(low, y(low)));
    chart.append(svg("line", {x1: left, x2: width - 4, y1: y(0), y2: y(0), class: "bw-zero"}));
    tokens.forEach((token, j) => {
      const v = Number.isFinite(values[j]) ? values[j] : 0;
      const x = left + band * j + 6;
      const bar = svg("rect", {x, width: band - 12, y: Math.min(y(0), y(v)), height: Math.abs(y(v) - y(0)),
                               fill: colour});
      const tip = svg("title");
      tip.textContent = say("tokenValue", {token, value: fixed(values[j], 3)});
      bar.append(tip);
      const name = svg("text", {x: x + (band - 12) / 2, y: height + 22, "text-anchor": "end", class: "bw-tick",
                                transform: `rotate(-40 ${x + (band - 12) / 2} ${height + 22})`});
      name.textContent = shortLabel(token);
      chart.append(bar, name);
    });
    return el("figure", {className: "bw-chart"}, [el("figcaption", {}, caption), chart]);
  }

  function norm(vector) {
    return Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  }

  function argmax(values) {
    return values.reduce((best, v, j) => (v > values[best] ? j : best), 0);
  }

  function stepThrough(root, models, initial) {
    const id = `bahdanau-view-${++viewCount}`;
    const model = models[0] ?? null;  // null: the registry's default
    const input = el("input", {type: "text", id: `${id}-text`, className: "bw-text", autocomplete: "off",
                               spellcheck: "false", placeholder: say("stepsPlaceholder")});
    input.value = initial;
    const slider = el("input", {type: "range", id: `${id}-step`, className: "bw-slider", min: "1", max: "1",
                                value: "1", step: "1"});
    const position = el("output", {for: slider.id, className: "bw-position"});
    const status = el("p", {className: "bw-status", role: "status", "aria-live": "polite"});
    const notes = el("div", {className: "bw-notes"});
    const title = el("p", {className: "bw-step-title", "aria-live": "polite"});
    const details = el("p", {className: "bw-step-details"});
    const charts = el("div", {className: "bw-charts"});
    const table = el("div", {className: "bw-step-table"});
    const modelShown = el("span", {className: "bw-model"});
    if (model !== null) modelShown.textContent = say("modelShown", {model: modelName(model)});
    const stepBox = el("div", {className: "bw-step"}, [
      el("div", {className: "bw-controls"}, [el("label", {for: slider.id, text: say("stepLabel")}), slider, position]),
      title, details, charts, table]);
    root.replaceChildren(
      el("form", {className: "bw-form", action: "#"}, [el("div", {className: "bw-controls"}, [
        el("label", {for: input.id, text: say("englishLabel")}), input, modelShown])]),
      status, notes, stepBox);
    let current = null;  // {result}: the sentence being stepped through

    function clear(message) {
      status.textContent = message;
      notes.replaceChildren();
      stepBox.hidden = true;
      current = null;
      root.dataset.state = "message";
    }

    function draw(result, name) {
      current = {result};
      modelShown.textContent = say("modelShown", {model: modelName(name)});
      status.textContent = say("french", {french: result.tokens.join(" ")});
      showNotes(notes, resultNotes(result));
      slider.max = String(result.steps.length);
      slider.value = "1";
      stepBox.hidden = false;
      root.dataset.state = "result";
      show();
    }

    // What interactive.step_figure and step_html show for step i (counted from 1).
    function show() {
      if (!current) return;
      const {result} = current;
      const i = Number(slider.value);
      const step = result.steps[i - 1];
      const n = result.steps.length;
      const fed = i === 1 ? "<bos>" : result.steps[i - 2].token;  // y_{i-1}
      // Plain arrays: the model may hand back typed arrays (Float32Array).
      const weights = Array.from(step.weights, Number);  // (S,): alpha_ij
      const scores = step.scores ? Array.from(step.scores, Number) : null;  // (S,): e_ij
      const query = step.query ? Array.from(step.query, Number) : [];  // (H,): s_{i-1}
      const looked = result.srcTokens[argmax(weights)];
      position.textContent = say("position", {step: i, count: n});
      slider.setAttribute("aria-valuetext", say("stepValueText", {step: i, count: n, token: step.token}));
      title.textContent = say("stepTitle", {step: i, count: n, fed: shortLabel(fed), looked: shortLabel(looked),
                                            token: shortLabel(step.token)});
      let queryParts = [];
      if (query.length) {
        const preview = query.slice(0, QUERY_PREVIEW).map(signed).join(", ");
        const more = query.length > QUERY_PREVIEW ? ", …" : "";
        queryParts = parts("stepQuery", {sub: el("sub", {text: String(i - 1)}), values: preview + more,
                                         norm: fixed(norm(query), 2), count: query.length});
      }
      details.replaceChildren(...parts("stepDetails", {
        name: el("b", {text: say("stepName", {step: i})}), fed: code(fed), query: queryParts,
        token: el("code", {className: "bw-token", text: shortLabel(step.token)})}));
      const chartList = [];
      if (scores) {
        chartList.push(barChart(scores, result.srcTokens, {
          colour: SCORE_COLOUR, label: say("scoresLabel", {step: i}),
          caption: parts("scoresCaption", {e: el("i", {text: "e"}), sub: el("sub", {text: `${i}j`})})}));
      }
      chartList.push(barChart(weights, result.srcTokens, {
        colour: WEIGHT_COLOUR, range: [0, 1], label: say("weightsLabel", {step: i}),
        caption: parts("weightsCaption", {alpha: el("i", {text: "α"}), sub: el("sub", {text: `${i}j`})})}));
      charts.replaceChildren(...chartList);
      const rows = result.srcTokens.map((token, j) => el("tr", {}, [
        el("td", {text: shortLabel(token)}), el("td", {text: scores ? signed(scores[j]) : "–"}),
        el("td", {text: fixed(weights[j], 3)})]));
      table.replaceChildren(el("table", {className: "bw-numbers"}, [
        el("caption", {text: say("tableCaption", {step: i})}),
        el("thead", {}, [el("tr", {}, [el("th", {scope: "col", text: say("sourceToken")}),
                                       el("th", {scope: "col", text: say("scoreHeader")}),
                                       el("th", {scope: "col", text: say("weightHeader")})])]),
        el("tbody", {}, rows)]));
      root.dataset.step = String(i);
    }

    slider.addEventListener("input", show);
    liveInput(root, input, status, {model: () => model, draw, clear})();
  }

  // ---------------------------------------------------------------------------------------------
  // Start every placeholder of the page
  // ---------------------------------------------------------------------------------------------

  const VIEWS = {translate: translateBox, steps: stepThrough};

  function start() {
    document.querySelectorAll(".bahdanau-live[data-view]").forEach((root) => {
      if (root.dataset.started) return;
      root.dataset.started = "true";
      root.classList.add("bw-view");
      const models = (root.dataset.models || "").split(/\s+/).filter(Boolean);  // none: the default
      const view = VIEWS[root.dataset.view];
      try {
        if (!view) throw new Error(say("noSuchView", {name: root.dataset.view}));
        view(root, models, root.dataset.default || "");
      } catch (error) {
        root.replaceChildren(el("p", {className: "bw-status", text: say("viewFailed", {error: describeError(error)})}));
      }
    });
  }

  window.bahdanauViews = {start, redsColour, modelKey, language: LANGUAGE, messages: MESSAGES};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
