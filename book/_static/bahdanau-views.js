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
 *   The reader steers the attention by picking a cell (click, tap, or Enter/Space on the focused
 *   cell; the arrow keys move between cells): that row's step i then looks only at that column's
 *   word (bahdanauWeb.focusRow, as decoding.focus_row), and the French from step i on is decoded
 *   again (bahdanauWeb.translate's override, as Python's translate(..., override=...)). The
 *   model's own French stays shown; the steered French below it marks the changed words (<mark>,
 *   underlined, with the text "changed" for screen readers), the heatmap shows the steered
 *   attention with its steered cells marked, and a Reset button returns to the model's own.
 *   Picks on the heatmap of a steered translation add to its steering: the steps before the new
 *   one keep theirs, the later ones (decoded again) lose theirs. The <eos> column is refused with
 *   an explanation: it is the end marker, not a word, and a step that looks only at it has no
 *   English word to translate (Python would accept it; the view chooses not to offer it). A pick
 *   on a heading or the corner, and a model without attention, are explained too; an aria-live
 *   status says what each pick did.
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
 * On a narrow screen (a phone) a heatmap or a step's bar charts wider than the view scroll sideways
 * inside their own box (scrollRegion): the heatmap's row labels stay put (position: sticky), a
 * shadow at the edge and a short text say there is more to the right until the end is reached, and
 * the box is a labelled region that the keyboard can focus and scroll while it scrolls.
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
      steerHint: "To steer the attention, click or tap a cell (or focus it and press Enter or Space): that "
        + "French word then looks only at that English word, and the French from there on is decoded again.",
      steering: "Decoding again from step {step}…",
      steeredStatus: "Step {step} now looks only at '{source}': the French from there on was decoded again, "
        + "and {count} of its words changed: {french}",
      steeredSame: "Step {step} now looks only at '{source}': the French stays the same: {french}",
      steeredFrench: "With the steered attention: {french}",
      changedKey: "Underlined words changed: they differ from the model's own French above.",
      changedWord: " (changed)",
      steeredCell: "{label} (steered: all of this row's weight is here)",
      resetLabel: "Reset to the model's own attention",
      resetDone: "Back to the model's own attention: {french}",
      steerEos: "'<eos>' is the end-of-sentence marker, not an English word: a step that looked only at it "
        + "would have no word to translate, so the view does not steer there. Pick a word's column.",
      steerHeading: "Pick a cell inside the heatmap, not a heading: its row is the French word to steer, its "
        + "column the English word to look at.",
      steerNoAttention: "This model has no attention to steer: its decoder reads one fixed context vector for "
        + "the whole sentence.",
      steerFailed: "The model could not decode this again: {error}",
      heatmapRegion: "Attention heatmap",
      chartsRegion: "Bar charts of the step's scores and weights",
      scrollMore: "Scroll sideways for more →",
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
      steerHint: "要操控注意力，请点击或轻触一个单元格（或让它获得焦点后按 Enter 或空格键）：这个法语词元将只关注"
        + "那个英语词元，从这一步起的法语会重新解码。",
      steering: "正在从第 {step} 步起重新解码…",
      steeredStatus: "第 {step} 步现在只关注“{source}”：从这一步起的法语已重新解码，其中 {count} 个词元有变化：{french}",
      steeredSame: "第 {step} 步现在只关注“{source}”：法语译文没有变化：{french}",
      steeredFrench: "操控注意力之后的法语：{french}",
      changedKey: "带下划线的词元有变化：它们与上面模型自己的法语译文不同。",
      changedWord: "（有变化）",
      steeredCell: "{label}（已操控：这一行的全部权重都在这里）",
      resetLabel: "恢复模型自己的注意力",
      resetDone: "已恢复模型自己的注意力：{french}",
      steerEos: "“<eos>”是句末标记，不是英语单词：只关注它的一步没有可翻译的词，所以此视图不会操控到这一列。"
        + "请选择一个单词所在的列。",
      steerHeading: "请选择热图内部的单元格，而不是标题：单元格所在的行是要操控的法语词元，所在的列是要关注的英语词元。",
      steerNoAttention: "这个模型没有可操控的注意力：它的解码器对整个句子只读取一个固定的上下文向量。",
      steerFailed: "模型无法重新解码：{error}",
      heatmapRegion: "注意力热图",
      chartsRegion: "这一步的注意力分数和注意力权重柱状图",
      scrollMore: "左右滑动查看更多 →",
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
  // A box that scrolls sideways when its content is wider than the view (a phone)
  // ---------------------------------------------------------------------------------------------

  /* Make `box` (its content drawn later) a region that scrolls sideways, with the cues that it
   * does: while the content is wider than the box, the box is in the tab order (tabindex 0, so that
   * a keyboard can scroll it, as WCAG asks of a scrollable region), and until its right end is
   * reached a shadow at the right edge (the class bw-more-right of the frame) and a short text above
   * it (bw-scroll-hint) say there is more; once scrolled, bw-more-left marks the left edge. When the
   * content fits, there is no cue and no extra tab stop. stickyLabels: the first column of the
   * box's table stays in view (CSS), so the cells are scrolled into view beside it, not under it.
   * Returns {node: what to put in the page, refresh: call it after drawing new content}. */
  function scrollRegion(box, label, {stickyLabels = false} = {}) {
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label);
    const frame = el("div", {className: "bw-scroll-frame" + (stickyLabels ? " bw-sticky-labels" : "")}, [box]);
    // For the eyes only: a screen reader reads the whole table or chart whether it scrolls or not.
    const hint = el("p", {className: "bw-scroll-hint", "aria-hidden": "true", text: say("scrollMore")});
    hint.hidden = true;

    function update() {
      const overflow = box.scrollWidth - box.clientWidth;  // 0 while the view shows a message instead
      const scrolls = overflow > 1;  // a pixel of rounding is not content
      const left = box.scrollLeft;
      const atEnd = left >= overflow - 1;
      frame.classList.toggle("bw-more-right", scrolls && !atEnd);
      frame.classList.toggle("bw-more-left", scrolls && left > 1);
      hint.hidden = !scrolls;
      hint.classList.toggle("bw-at-end", scrolls && atEnd);  // kept in the layout: nothing jumps at the end
      if (scrolls) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    }

    // A cell scrolled into view (the arrow keys focus it) stops beside the sticky labels, not under them.
    function measure() {
      if (!stickyLabels) return;
      const labels = box.querySelector("tbody th");
      box.style.scrollPaddingLeft = labels ? `${labels.getBoundingClientRect().width}px` : "";
    }

    box.addEventListener("scroll", update, {passive: true});
    // The box changes width with the window (a phone turned), its content with each drawing.
    const observer = typeof ResizeObserver === "function" ? new ResizeObserver(() => { measure(); update(); }) : null;
    function refresh() {
      if (observer) {
        observer.disconnect();
        observer.observe(box);
        for (const child of box.children) observer.observe(child);
      }
      measure();
      update();
    }
    refresh();
    return {node: el("div", {className: "bw-scroll"}, [hint, frame]), refresh};
  }

  // ---------------------------------------------------------------------------------------------
  // The heatmap: a table, one focusable cell per weight
  // ---------------------------------------------------------------------------------------------

  /* attention: T rows of S weights; rows: T output tokens; columns: S source tokens.
   * One cell is in the tab order at a time (a roving tabindex); the arrow keys move between cells.
   * Hovering or focusing a cell writes "voiture ← car: 0.64" into readout. Options: steered, a Map
   * row -> column of the cells to mark as steered; focus, [row, column] of the cell in the tab
   * order; describedBy, the id of the text that says what a pick does; onPick, called with
   * {row, column} when a cell is clicked, tapped (a tap is a click) or gets Enter or Space, and
   * with {heading: true} when a heading or the corner is clicked. */
  function heatmapTable(attention, rows, columns, readout, caption, options = {}) {
    const {steered = new Map(), focus = [0, 0], describedBy = null, onPick = null} = options;
    const table = el("table", {className: "bw-heatmap", "aria-label": caption});
    if (describedBy) table.setAttribute("aria-describedby", describedBy);
    const head = el("tr", {}, [el("th", {scope: "col", className: "bw-corner", text: say("corner")})]);
    columns.forEach((token) => head.append(el("th", {scope: "col", title: shortLabel(token), "data-token": token}, [
      el("span", {className: "bw-col-label", text: shortLabel(token)})])));
    table.append(el("thead", {}, [head]));
    const body = el("tbody");
    const cells = [];
    // The cell in the tab order: the one asked for, within the table.
    const [focusRow, focusColumn] = [Math.min(focus[0], attention.length - 1), Math.min(focus[1], columns.length - 1)];
    attention.forEach((weights, i) => {
      const row = el("tr", {}, [el("th", {scope: "row", "data-token": rows[i], text: shortLabel(rows[i])})]);
      cells.push([]);
      columns.forEach((source, j) => {
        const weight = Number(weights[j]);
        let label = say("cellLabel", {target: shortLabel(rows[i]), source: shortLabel(source),
                                      weight: fixed(weight, 2)});
        if (steered.get(i) === j) label = say("steeredCell", {label});
        const cell = el("td", {tabindex: i === focusRow && j === focusColumn ? "0" : "-1", "aria-label": label,
                               title: label, "data-weight": fixed(weight, 4)});
        cell.style.backgroundColor = redsColour(weight);
        if (steered.get(i) === j) {  // marked by a shape and a ring too, not by its colour alone
          cell.classList.add("bw-steered-cell");
          cell.append(el("span", {className: "bw-steered-mark", "aria-hidden": "true", text: "◆"}));
        }
        const show = () => { readout.textContent = label; };
        cell.addEventListener("mouseenter", show);
        cell.addEventListener("focus", show);
        row.append(cell);
        cells[i].push(cell);
      });
      body.append(row);
    });
    table.append(body);
    const position = (cell) => ({row: cell.parentElement.rowIndex - 1, column: cell.cellIndex - 1});
    table.addEventListener("keydown", (event) => {
      const cell = event.target.closest("td");
      if (!cell) return;
      if (onPick && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();  // Space would scroll the page
        onPick(position(cell));
        return;
      }
      const moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
      const move = moves[event.key];
      if (!move) return;
      const {row: i, column: j} = position(cell);
      const next = (cells[i + move[0]] || [])[j + move[1]];
      if (!next) return;
      event.preventDefault();
      cell.setAttribute("tabindex", "-1");
      next.setAttribute("tabindex", "0");
      next.focus();
    });
    if (onPick) {
      table.classList.add("bw-pickable");
      table.addEventListener("click", (event) => {
        const target = event.target.closest("td, th");
        if (target) onPick(target.tagName === "TD" ? position(target) : {heading: true});
      });
    }
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
   * them). draw is called with the result, its model's name and the text translated. Returns run,
   * which translates now. */
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
        else draw(result, result.model, text);
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

  /* The French of `tokens` as parts for el(), the words that differ from `own` at the same
   * position from step `from` on wrapped in <mark> (underlined, and "changed" for screen readers).
   * Returns {french, count}: the parts and how many words changed. */
  function markedFrench(tokens, own, from) {
    const french = [];
    let count = 0;
    tokens.forEach((token, k) => {
      if (k) french.push(" ");
      if (k >= from && token !== own[k]) {
        count++;
        french.push(el("mark", {className: "bw-changed"}, [token,
          el("span", {className: "bw-visually-hidden", text: say("changedWord")})]));
      } else {
        french.push(token);
      }
    });
    return {french: french.length ? french : [say("nothing")], count};
  }

  function translateBox(root, models, initial) {
    const id = `bahdanau-view-${++viewCount}`;
    const input = el("input", {type: "text", id: `${id}-text`, className: "bw-text", autocomplete: "off",
                               spellcheck: "false", placeholder: say("translatePlaceholder")});
    input.value = initial;
    const status = el("p", {className: "bw-status", role: "status", "aria-live": "polite"});
    const french = el("p", {className: "bw-french", "aria-live": "polite"});
    const steeredFrench = el("div", {className: "bw-steered"});
    const notes = el("div", {className: "bw-notes"});
    const readout = el("p", {className: "bw-readout", "aria-live": "polite",
                             text: say("readoutHint")});
    const map = el("div", {className: "bw-heatmap-scroll"});
    const mapRegion = scrollRegion(map, say("heatmapRegion"), {stickyLabels: true});
    const hint = el("p", {className: "bw-steer-hint", id: `${id}-steer-hint`, text: say("steerHint")});
    const steerStatus = el("p", {className: "bw-steer-status", role: "status", "aria-live": "polite"});
    const reset = el("button", {type: "button", className: "bw-reset", text: say("resetLabel")});
    reset.hidden = true;
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
      hint, el("div", {className: "bw-steer-bar"}, [reset, steerStatus]), mapRegion.node, colourKey(), readout]);
    root.replaceChildren(el("form", {className: "bw-form", action: "#"}, [controls]), status, french,
                         steeredFrench, notes, figure);
    // What is on screen: the model's own translation {result, model, text}, and the steering of
    // it, null or {steps: Map step -> column, step: the last pick's, result: the steered one}.
    let shown = null;
    let steering = null;
    let steerRequests = 0;  // a newer pick, reset or sentence drops an older pick's late answer

    function clear(message) {
      status.textContent = message;
      french.replaceChildren();
      notes.replaceChildren();
      map.replaceChildren();
      figure.hidden = true;
      mapRegion.refresh();
      shown = null;
      unsteer();
      steeredFrench.replaceChildren();
      reset.hidden = true;
      root.dataset.steered = "";
      root.dataset.state = "message";
    }

    function draw(result, model, text) {
      status.textContent = say("translatedBy", {model: modelName(model)});
      french.replaceChildren(...parts("french", {french: el("b", {text: result.tokens.join(" ") || say("nothing")})}));
      showNotes(notes, resultNotes(result));
      shown = {result, model, text};
      unsteer();
      figure.hidden = false;  // before drawing: the scroll cues measure the table on screen
      drawSteering();
      root.dataset.state = "result";
      root.dataset.model = model;
    }

    // Back to the model's own attention (drawn by the caller); a pick still on its way is dropped.
    function unsteer() {
      steering = null;
      steerRequests++;
      steerStatus.textContent = "";
      // Settled (data-steer-pending and data-steer-done, which the tests read): nothing is on its way.
      root.dataset.steerPending = root.dataset.steerDone = String(steerRequests);
    }

    /* The heatmap of the steered translation, or of the model's own, and the steered French below
     * the model's own. focusAt: [row, column] of the cell to focus once drawn, or null. */
    function drawSteering(focusAt = null) {
      const result = steering ? steering.result : shown.result;
      const steps = steering ? steering.steps : new Map();
      const table = heatmapTable(result.attention, rowTokens(result), result.srcTokens, readout, say("heatmapTitle"),
                                 {steered: steps, focus: focusAt || [0, 0], describedBy: hint.id, onPick: pick});
      map.replaceChildren(table);
      mapRegion.refresh();
      if (focusAt) {
        const cell = table.querySelector("td[tabindex='0']");
        if (cell) cell.focus();
      }
      reset.hidden = !steering;
      root.dataset.steered = [...steps].map(([step, column]) => `${step}:${column}`).join(" ");
      if (!steering) {
        steeredFrench.replaceChildren();
        return;
      }
      const marked = markedFrench(result.tokens, shown.result.tokens, Math.min(...steps.keys()));
      steeredFrench.replaceChildren(
        el("p", {className: "bw-french-steered"}, parts("steeredFrench", {french: el("b", {}, marked.french)})),
        el("p", {className: "bw-changed-key", text: say("changedKey")}));
    }

    // Say what a pick did (or why it did nothing), in the status that screen readers announce.
    function explain(key, values) {
      steerStatus.textContent = say(key, values);
    }

    /* A pick on the heatmap on screen: {row, column} steers that row's step to that column's word
     * (the steps before it keep their steering, the later ones lose theirs), {heading} explains. */
    async function pick(target) {
      if (!shown) return;
      const request = ++steerRequests;
      root.dataset.steerPending = String(request);
      const result = steering ? steering.result : shown.result;
      const hadFocus = map.contains(document.activeElement);
      try {
        if (target.heading) return explain("steerHeading");
        if (!result.attention.length) return explain("steerNoAttention");
        const {row, column} = target;
        const source = result.srcTokens.length;
        if (column === source - 1) return explain("steerEos");
        const steps = new Map([...(steering ? steering.steps : [])].filter(([step]) => step < row));
        steps.set(row, column);
        const web = api();
        const override = new Map([...steps].map(([step, j]) => [step, web.focusRow(source, j)]));
        explain("steering", {step: row + 1});
        const steered = await web.translate(shown.text, {model: shown.model, override});
        if (request !== steerRequests) return;  // a newer pick, reset or sentence meanwhile
        steering = {steps, step: row, result: steered};
        drawSteering(hadFocus ? [row, column] : null);
        const {count} = markedFrench(steered.tokens, shown.result.tokens, Math.min(...steps.keys()));
        const values = {step: row + 1, source: shortLabel(result.srcTokens[column]), count,
                        french: steered.tokens.join(" ") || say("nothing")};
        explain(count ? "steeredStatus" : "steeredSame", values);
      } catch (error) {
        if (request !== steerRequests) return;
        if (error && error.code === "override_no_attention") explain("steerNoAttention");
        else explain("steerFailed", {error: describeError(error)});
      } finally {
        if (request === steerRequests) root.dataset.steerDone = String(request);
      }
    }

    reset.addEventListener("click", () => {
      if (!shown) return;
      const last = steering ? [steering.step, steering.steps.get(steering.step)] : [0, 0];
      unsteer();
      drawSteering(last);  // the focus goes back to the cell that was steered last
      explain("resetDone", {french: shown.result.tokens.join(" ") || say("nothing")});
    });

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
    const chartsRegion = scrollRegion(charts, say("chartsRegion"));
    const table = el("div", {className: "bw-step-table"});
    const modelShown = el("span", {className: "bw-model"});
    if (model !== null) modelShown.textContent = say("modelShown", {model: modelName(model)});
    const stepBox = el("div", {className: "bw-step"}, [
      el("div", {className: "bw-controls"}, [el("label", {for: slider.id, text: say("stepLabel")}), slider, position]),
      title, details, chartsRegion.node, table]);
    root.replaceChildren(
      el("form", {className: "bw-form", action: "#"}, [el("div", {className: "bw-controls"}, [
        el("label", {for: input.id, text: say("englishLabel")}), input, modelShown])]),
      status, notes, stepBox);
    let current = null;  // {result}: the sentence being stepped through

    function clear(message) {
      status.textContent = message;
      notes.replaceChildren();
      stepBox.hidden = true;
      chartsRegion.refresh();
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
      chartsRegion.refresh();
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
