/*
 * bahdanau-web.js: the shipped attention models, translating in the reader's browser.
 *
 * A port of the Python package's inference path, one function per Python function it mirrors:
 *   data.preprocess, tokenize, sentence_words   -> preprocess, tokenize, sentenceWords
 *   decoding._words_to_translate (one string)   -> wordsToTranslate
 *   models.Seq2SeqEncoder.forward               -> encode
 *   models.Seq2SeqAttentionDecoder.init_state   -> initState (with AdditiveAttention.project_keys)
 *   models.Seq2SeqAttentionDecoder.step         -> decoderStep, returning interfaces.DecoderStep's
 *                                                  fields {logits, state, context, weights, scores, query}
 *   attention.additive_scores, masked_softmax,  -> additiveScores, maskedSoftmax, attend
 *     AdditiveAttention.attend
 *   models.gru_step (one layer of it), maxout,  -> gruStep, maxout, outputLayer
 *     Seq2SeqAttentionDecoder.output_layer
 *   decoding.greedy_decode, decoding.translate  -> greedyDecode, translate
 *   decoding.check_override, focus_row          -> checkOverride, focusRow (translate's override)
 * The facts it shares with Python are not repeated here: `python -m bahdanau.cli.export_web`
 * writes them beside this file, in models/registry.js (bahdanau.pretrained's registry: the model
 * names, the default model, each model's limits, Python's message templates), and the weights
 * twice: models/bahdanau-model-NAME.bin, a binary container (its layout: export_web's docstring),
 * which a page served over http(s) fetches, and models/bahdanau-model-NAME.js, the same document
 * with its tensors in base64, a third larger, which a page opened from disk (file://, where fetch
 * is refused) runs as a <script>. tests/test_browser_parity.py checks that this file and PyTorch,
 * on those same weights, write the same translations with the same attention (to 1e-3), and that
 * the tokenizer and the messages are Python's.
 *
 * Public API (window.bahdanauWeb):
 *   await bahdanauWeb.translate(text, {model: "rnnsearch-30"})   (model: the registry's default if left out)
 *     -> {tokens, srcTokens, attention, unknown, steps, truncated, finished, empty, message, model, steered}
 *   await bahdanauWeb.translate(text, {model, override: {step: i, weights: [...]}})
 *     steers the attention, as Python's translate(..., override={i: weights}): output step i (0 for
 *     the first French word) uses the weights alpha_ij given, one per source token (srcTokens: the
 *     words, then <eos>), summing to 1, instead of the model's own; c_i is built from them and the
 *     decoding goes on as usual. override may also be a Map or an object {i: weights, ...} (Python's
 *     mapping step -> row; an object's keys are strings, read as whole numbers). steered lists the
 *     steps the decoding reached (Translation.steered). An invalid override REJECTS the Promise
 *     with an Error whose message is check_override's, word for word (the registry's templates),
 *     and whose code is the template's key (override_length, override_sum, ...): a caller that
 *     shows it, as bahdanau-views.js does, catches it; nothing reaches the console. Steering a
 *     sentence translated just before re-decodes from the first steered step on: the encoder and
 *     the steps before it are kept from that translation (see `decode`).
 *   bahdanauWeb.focusRow(length, j)    decoding.focus_row: a row with all the weight on token j
 *   await bahdanauWeb.registry()       the registry ({default, models: {NAME: {file, binary, limits}},
 *                                      messages, override_tolerance, binary_magic})
 *   await bahdanauWeb.models()         the model names;  await bahdanauWeb.defaultModel()  the default one
 *   bahdanauWeb.load(name)             a Promise of the loaded model ({name, config, maxSrcLen, ...})
 *
 * Shapes (as in the package): S source length, E embedding size, H hidden size,
 * H_enc = H or 2H (bidirectional encoder), V vocabulary size, L layers. Every matrix is a
 * row-major Float32Array; a comment gives its shape where it is made.
 */
(function () {
  "use strict";

  // Captured now: document.currentScript is only set while this file runs. The registry and the
  // model files are found relative to this file, so the same page works from file:// and http://:
  // in models/ beside it, or where its tag's data-models says (the Chinese edition's pages use
  // the English edition's copy: book/_ext/shared_static.py).
  const SCRIPT = document.currentScript;
  const SCRIPT_URL = (SCRIPT && SCRIPT.src) || document.baseURI;
  const MODELS_URL = new URL((SCRIPT && SCRIPT.dataset.models) || "models/", SCRIPT_URL).href;
  const REGISTRY_URL = new URL("registry.js", MODELS_URL).href;
  // What writes models/: said when a file is missing (the registry, which would say it, included).
  const EXPORT_COMMAND = "`make web-models` (python -m bahdanau.cli.export_web --web book/_static/models)";

  // ------------------------------------------------------------------------------------------
  // The registry (bahdanau.pretrained.SHIPPED, written into models/registry.js by the export)
  // ------------------------------------------------------------------------------------------

  /** Run the script at url once (a <script> tag: file:// allows it; fetch would refuse). */
  function injectScript(url, what) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(`could not load ${what} ${url}: it is written by ${EXPORT_COMMAND}`));
      document.head.appendChild(script);
    });
  }

  let registryLoading = null; // a Promise of window.bahdanauWebRegistry

  /** A Promise of the registry: {default, models: {NAME: {file, binary, limits}}, messages, ...}. */
  function registry() {
    if (registryLoading === null) {
      const loaded = () => window.bahdanauWebRegistry;
      registryLoading = (loaded() ? Promise.resolve() : injectScript(REGISTRY_URL, "the models' registry")).then(() => {
        if (!loaded()) throw new Error(`the file ${REGISTRY_URL} did not register the models' registry`);
        return loaded();
      });
      registryLoading.catch(() => { registryLoading = null; }); // a later call may try again
    }
    return registryLoading;
  }

  // ------------------------------------------------------------------------------------------
  // Python's messages: the registry's templates, filled as str.format fills them
  // ------------------------------------------------------------------------------------------

  // What Python's str.isprintable() calls unprintable (repr escapes it): the categories Cc, Cf,
  // Cs, Co, Cn, Zl, Zp and Zs, but the ASCII space.
  const PY_UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

  /** repr(text) for a Python str: its quotes ('...' unless only "..." avoids escaping) and escapes. */
  function pyRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    const hex = (code, digits) => code.toString(16).padStart(digits, "0");
    let out = quote;
    for (const char of text) { // code points, as Python's str
      const code = char.codePointAt(0);
      if (char === quote || char === "\\") out += "\\" + char;
      else if (char === "\t") out += "\\t";
      else if (char === "\n") out += "\\n";
      else if (char === "\r") out += "\\r";
      else if (char !== " " && PY_UNPRINTABLE.test(char)) {
        out += code < 0x100 ? "\\x" + hex(code, 2) : code < 0x10000 ? "\\u" + hex(code, 4) : "\\U" + hex(code, 8);
      } else out += char;
    }
    return out + quote;
  }

  /** template.format(**values) for the registry's templates: {name}, {name!r} (repr) and {{ }}. */
  function formatMessage(template, values) {
    return template.replace(/\{\{|\}\}|\{(\w+)(!r)?\}/g, (field, name, conversion) => {
      if (field === "{{") return "{";
      if (field === "}}") return "}";
      if (!(name in values)) throw new Error(`the message ${JSON.stringify(template)} needs a value for ${name}`);
      return conversion ? pyRepr(String(values[name])) : String(values[name]);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Preprocessing and tokenisation (bahdanau.data.preprocess, tokenize, sentence_words)
  // ------------------------------------------------------------------------------------------

  // Python's str.split() separators (str.isspace()): sentence_words reads any run of them as one
  // space before it tokenizes. (JavaScript's \s differs: it has \ufeff, lacks \x1c-\x1f, \x85.)
  const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
  // The empty position between a non-space character and , . ! ?: a space is inserted there.
  const BEFORE_UNSPACED_PUNCTUATION = /(?<=[^ ])(?=[,.!?])/g;

  /** data.preprocess: non-breaking spaces to spaces, ’ to ', lower case, space before , . ! ? */
  function preprocess(text) {
    text = text.replace(/\u202f/g, " ").replace(/\xa0/g, " ").replace(/\u2019/g, "'");
    return text.toLowerCase().replace(BEFORE_UNSPACED_PUNCTUATION, " ");
  }

  /** data.tokenize: preprocess, then split on spaces, dropping empty tokens. No <eos>. */
  function tokenize(sentence) {
    return preprocess(sentence).split(" ").filter((token) => token !== "");
  }

  /**
   * data.sentence_words: the words a model reads from typed text (any run of whitespace
   * separates words, then tokenize). Where Python raises for text without a word, this returns
   * [] and translate answers with Python's message (the registry's empty_input).
   */
  function sentenceWords(text) {
    return tokenize(text.split(PY_WHITESPACE).filter((part) => part !== "").join(" "));
  }

  /** decoding._words_to_translate for one string: {words (cut to maxSrcLen), count, truncated}. */
  function wordsToTranslate(text, maxSrcLen) {
    const words = sentenceWords(text);
    return {words: words.slice(0, maxSrcLen), count: words.length, truncated: words.length > maxSrcLen};
  }

  /** decoding.default_max_len: a * src_len + b output tokens (2 * src_len + 5), <eos> included. */
  function defaultMaxLen(limits, srcLen) {
    return limits.max_len_per_src_token * srcLen + limits.max_len_extra;
  }

  /** decoding.unknown_words: the distinct words the vocabulary reads as <unk>, in order. */
  function unknownWords(words, srcIndex) {
    return [...new Set(words)].filter((word) => !srcIndex.has(word));
  }

  // ------------------------------------------------------------------------------------------
  // Small linear algebra on Float32Arrays
  // ------------------------------------------------------------------------------------------

  /** y = W x + b: W (R, C) row-major, x (C,), b (R,) or null -> y (R,). The time goes here. */
  function linear(W, b, x, rows, cols) {
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += W[base + c] * x[c];
      y[r] = b === null ? sum : sum + b[r];
    }
    return y;
  }

  function concat(...parts) {
    const out = new Float32Array(parts.reduce((size, part) => size + part.length, 0));
    let offset = 0;
    for (const part of parts) { out.set(part, offset); offset += part.length; }
    return out;
  }

  function row(matrix, index, width) {
    return matrix.subarray(index * width, (index + 1) * width);
  }

  const sigmoid = (x) => 1 / (1 + Math.exp(-x));

  // ------------------------------------------------------------------------------------------
  // The GRU (models.gru_step, one layer of it): nn.GRU's equations, gates in its order r, z, n
  // ------------------------------------------------------------------------------------------

  /**
   * One GRU step from x (input) and h (H,), with nn.GRU's weights:
   *   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)      z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
   *   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))   (r after the recurrent product)
   *   h' = (1 - z) * n + z * h
   */
  function gruStep(gru, x, h) {
    const H = h.length;
    const inputGates = linear(gru.W_ih, gru.b_ih, x, 3 * H, x.length); // (3H,)
    const hiddenGates = linear(gru.W_hh, gru.b_hh, h, 3 * H, H); // (3H,)
    const next = new Float32Array(H);
    for (let k = 0; k < H; k++) {
      const reset = sigmoid(inputGates[k] + hiddenGates[k]); // r
      const update = sigmoid(inputGates[H + k] + hiddenGates[H + k]); // z
      const candidate = Math.tanh(inputGates[2 * H + k] + reset * hiddenGates[2 * H + k]); // n
      next[k] = candidate + update * (h[k] - candidate); // (1 - z) * n + z * h
    }
    return next;
  }

  /** One direction of one GRU layer over the sequence inputs[0..S-1]: the S states, in input order. */
  function gruLayer(gru, inputs, H, reverse) {
    const S = inputs.length;
    const states = new Array(S);
    let h = new Float32Array(H); // nn.GRU starts from 0
    for (let t = 0; t < S; t++) {
      const j = reverse ? S - 1 - t : t;
      h = gruStep(gru, inputs[j], h);
      states[j] = h;
    }
    return states;
  }

  // ------------------------------------------------------------------------------------------
  // Encoder (models.Seq2SeqEncoder.forward) and the decoder's first state (init_state)
  // ------------------------------------------------------------------------------------------

  /**
   * Read the source ids (S,) once. Returns {encOutputs (S, H_enc), hiddenState: L arrays (H,)},
   * the Python encoder's (enc_outputs, hidden_state).
   * Bidirectional (the paper, section 3.2): h_j = [->h_j ; <-h_j], and per layer the decoder
   * starts from s_0 = tanh(W_s <-h_1) (appendix A.2.2), <-h_1 being the backward direction's
   * state after it has read the whole sentence, last word first.
   */
  function encode(model, srcIds) {
    const {config, params} = model;
    const H = config.num_hiddens;
    let inputs = srcIds.map((id) => row(params.encEmbedding, id, config.embed_size)); // S x (E,)
    const hiddenState = [];
    for (let layer = 0; layer < config.num_layers; layer++) {
      const forward = gruLayer(params.encRnn[layer][0], inputs, H, false);
      if (!config.bidirectional) {
        inputs = forward;
        hiddenState.push(forward[forward.length - 1]); // the state at the last token
        continue;
      }
      const backward = gruLayer(params.encRnn[layer][1], inputs, H, true);
      inputs = forward.map((state, j) => concat(state, backward[j])); // S x (2H,)
      // s_0 = tanh(W_s <-h_1)
      const bridged = linear(params.bridge.W, params.bridge.b, backward[0], H, H);
      hiddenState.push(bridged.map(Math.tanh));
    }
    return {encOutputs: concat(...inputs), hiddenState}; // (S, H_enc)
  }

  /** AdditiveAttention.project_keys: U_a h_j for every j, (S, H_enc) -> (S, H). */
  function projectKeys(model, encOutputs) {
    const {config, params} = model;
    const S = encOutputs.length / model.encOutputSize;
    const encKeys = new Float32Array(S * config.num_hiddens); // (S, H)
    for (let j = 0; j < S; j++) {
      encKeys.set(linear(params.attention.W_k, null, row(encOutputs, j, model.encOutputSize),
        config.num_hiddens, model.encOutputSize), j * config.num_hiddens);
    }
    return encKeys;
  }

  /**
   * Seq2SeqAttentionDecoder.init_state: keep the annotations, project them once (U_a h_j).
   * The state has AttentionState's fields: {encOutputs, encKeys, hiddenState, srcValidLen}.
   */
  function initState(model, encAllOutputs, srcValidLen) {
    const {encOutputs, hiddenState} = encAllOutputs;
    return {encOutputs, encKeys: projectKeys(model, encOutputs), hiddenState, srcValidLen};
  }

  // ------------------------------------------------------------------------------------------
  // Attention (bahdanau.attention) and one decoder step
  // ------------------------------------------------------------------------------------------

  /**
   * attention.additive_scores for one query: e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j) (eq. 6).
   * projectedQuery W_a s_{i-1} (h,), projectedKeys U_a h_j (S, h), w_v v_a (h,) -> scores (S,).
   */
  function additiveScores(projectedQuery, projectedKeys, w_v) {
    const h = projectedQuery.length;
    const scores = new Float32Array(projectedKeys.length / h);
    for (let j = 0; j < scores.length; j++) {
      let e = 0;
      for (let k = 0; k < h; k++) e += w_v[k] * Math.tanh(projectedQuery[k] + projectedKeys[j * h + k]);
      scores[j] = e;
    }
    return scores;
  }

  /** AdditiveAttention.scores: e_ij of the query s_{i-1} (H,) against the projected keys (S, H). */
  function attentionScores(model, query, projectedKeys) {
    const {config, params} = model;
    const projectedQuery = linear(params.attention.W_q, null, query, config.num_hiddens, query.length); // W_a s_{i-1}
    return additiveScores(projectedQuery, projectedKeys, params.attention.w_v);
  }

  /**
   * attention.masked_softmax over one row of scores (S,): weight 0 past validLen, and
   * alpha_ij = exp(e_ij) / sum_k exp(e_ik) (eq. 6) over the first validLen, computed as
   * exp(e_ij - max_k e_ik) / ..., which is the same number and never overflows.
   */
  function maskedSoftmax(scores, validLen) {
    let max = -Infinity;
    for (let j = 0; j < validLen; j++) max = Math.max(max, scores[j]);
    const weights = scores.map((e, j) => (j < validLen ? Math.exp(e - max) : 0));
    let total = 0;
    for (const w of weights) total += w;
    return weights.map((w) => w / total);
  }

  /** c_i = sum_j alpha_ij h_j (eq. 5): weights (S,), values h_j (S, H_enc) -> context (H_enc,). */
  function weightedSum(weights, values, width) {
    const context = new Float32Array(width); // (H_enc,): c_i
    for (let j = 0; j < weights.length; j++) {
      const alpha = weights[j];
      for (let k = 0; k < width; k++) context[k] += alpha * values[j * width + k];
    }
    return context;
  }

  /**
   * AdditiveAttention.attend: from the scores e_ij (S,) to {context (H_enc,), weights (S,)}:
   * alpha_ij = masked_softmax(e_ij), c_i = sum_j alpha_ij h_j (eq. 5), values h_j (S, H_enc).
   */
  function attend(scores, values, validLen, width) {
    const weights = maskedSoftmax(scores, validLen); // (S,): alpha_ij
    return {context: weightedSum(weights, values, width), weights};
  }

  /** models.maxout: t_{i,j} = max(t~_{i,2j-1}, t~_{i,2j}) (appendix A.2.2): (2l,) -> (l,). */
  function maxout(preActivations) {
    const out = new Float32Array(preActivations.length / 2);
    for (let j = 0; j < out.length; j++) out[j] = Math.max(preActivations[2 * j], preActivations[2 * j + 1]);
    return out;
  }

  /**
   * Seq2SeqAttentionDecoder.output_layer, g: logits W_o s_i + b_o (d2l's), or the paper's deep
   * output t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i, t_i = maxout(t~_i), logits W_o t_i + b_o.
   */
  function outputLayer(model, s, emb, context) {
    const {config, params} = model;
    let features = s; // s_i
    if (config.deep_output) {
      const input = concat(s, emb, context); // [s_i ; E y_{i-1} ; c_i]
      const preMaxout = linear(params.maxoutInput.W, params.maxoutInput.b, input,
        2 * config.deep_output, input.length); // (2l,): t~_i
      features = maxout(preMaxout); // (l,): t_i
    }
    return linear(params.dense.W, params.dense.b, features, config.tgt_vocab_size, features.length); // (V,)
  }

  /**
   * Seq2SeqAttentionDecoder.step: one target step i from the previous output token yPrev.
   * s_{i-1} -> e_ij -> alpha_ij -> c_i -> s_i -> p(y_i). Returns interfaces.DecoderStep's fields:
   * {logits (V,), state (holding s_i), context c_i (H_enc,), weights alpha_ij (S,),
   *  scores e_ij (S,), query s_{i-1} (H,)}.
   * given (S,), if not null, replaces the softmax's alpha_ij (the reader steers the attention:
   * translate's override) and c_i is built from it; the scores e_ij are still the model's.
   */
  function decoderStep(model, yPrev, state, given = null) {
    const {config, params} = model;
    const query = state.hiddenState[config.num_layers - 1]; // (H,): s_{i-1}, the last layer's
    // e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)  (eq. 6)
    const scores = attentionScores(model, query, state.encKeys); // (S,)
    let context, weights;
    if (given === null || given === undefined) {
      // alpha_ij = softmax over the real tokens j; c_i = sum_j alpha_ij h_j
      ({context, weights} = attend(scores, state.encOutputs, state.srcValidLen, model.encOutputSize));
    } else {
      weights = given; // (S,)
      // c_i = sum_j alpha_ij h_j, with the given alpha_ij
      context = weightedSum(weights, state.encOutputs, model.encOutputSize); // (H_enc,)
    }
    const emb = row(params.decEmbedding, yPrev, config.embed_size); // (E,): E y_{i-1}
    // s_i = f(s_{i-1}, y_{i-1}, c_i)  (eq. 4's state; f is the GRU): layer 0 reads [c_i ; E y_{i-1}],
    // layer l > 0 the new state below.
    let input = concat(context, emb);
    const hiddenState = [];
    for (let layer = 0; layer < config.num_layers; layer++) {
      input = gruStep(params.decRnn[layer], input, state.hiddenState[layer]); // (H,)
      hiddenState.push(input);
    }
    // p(y_i | y_1..y_{i-1}, x) = g(y_{i-1}, s_i, c_i)  (eq. 4)
    const logits = outputLayer(model, hiddenState[config.num_layers - 1], emb, context); // (V,)
    return {logits, state: {...state, hiddenState}, context, weights, scores, query};
  }

  /** The index of the largest logit (the first one among equals, as torch.argmax). */
  function argmax(values) {
    let best = 0;
    for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
    return best;
  }

  const NO_OVERRIDE = new Map();

  /**
   * decoding.greedy_decode for one sentence: y_i = argmax_y p(y | y_<i, x), fed back, until
   * <eos> or maxLen tokens (<eos> included). override: step i -> the weights alpha_ij (S,) to use
   * there (checkOverride's Map). start: null to start from the encoder, or the first i steps of
   * a decoding to go on from (resumeAt). Returns {ids, steps, states}: per step what the
   * step-through view shows (its DecoderStep's query, scores, weights, and the token written),
   * and states[i] = {state, yPrev}, what step i started from.
   */
  function greedyDecode(model, srcIds, maxLen, override = NO_OVERRIDE, start = null) {
    const {config} = model;
    const begin = start ?? {ids: [], steps: [], states: [], yPrev: config.bos,
      state: initState(model, encode(model, srcIds), srcIds.length)};
    let {state, yPrev} = begin;
    const ids = [...begin.ids];
    const steps = [...begin.steps];
    const states = [...begin.states];
    for (let i = ids.length; i < maxLen; i++) {
      states.push({state, yPrev});
      const step = decoderStep(model, yPrev, state, override.get(i) ?? null);
      const token = argmax(step.logits); // log_softmax keeps the order: the argmax of the logits
      ids.push(token);
      steps.push({query: Array.from(step.query), scores: Array.from(step.scores),
        weights: Array.from(step.weights), token: model.tgtVocab[token]});
      if (token === config.eos) break;
      state = step.state;
      yPrev = token;
    }
    return {ids, steps, states};
  }

  /** A decoding's first i steps (it reached step i), to go on from with greedyDecode's start. */
  function resumeAt(decoding, i) {
    return {ids: decoding.ids.slice(0, i), steps: decoding.steps.slice(0, i), states: decoding.states.slice(0, i),
      ...decoding.states[i]};
  }

  // ------------------------------------------------------------------------------------------
  // Re-decoding from the steered step
  // ------------------------------------------------------------------------------------------

  // Steps before the first steered one are those of the model's own decoding, which the reader has
  // usually just seen: the last few unsteered decodings are kept with the state each step started
  // from, and a steered one goes on from there (book/bench_web.py measures it) instead of
  // running the encoder and those steps again.
  const DECODINGS_KEPT = 8;
  const decodings = new Map(); // key -> {model, decoding}, least recently used first

  /**
   * The greedy decoding of srcIds with the override: from the kept unsteered decoding of the same
   * sentence when there is one (its steps up to the first steered step are this one's), else from
   * the encoder. An unsteered decoding is always run in full, and kept.
   */
  function decode(model, srcIds, maxLen, override) {
    const key = `${model.name}\n${maxLen}\n${srcIds.join(" ")}`;
    const kept = decodings.get(key);
    if (override.size === 0) {
      const decoding = greedyDecode(model, srcIds, maxLen);
      decodings.delete(key);
      decodings.set(key, {model, decoding});
      if (decodings.size > DECODINGS_KEPT) decodings.delete(decodings.keys().next().value);
      return decoding;
    }
    if (kept === undefined || kept.model !== model) return greedyDecode(model, srcIds, maxLen, override);
    decodings.delete(key); // most recently used now
    decodings.set(key, kept);
    const first = Math.min(...override.keys());
    // It ended before the first steered step: the override changes nothing.
    if (first >= kept.decoding.ids.length) return kept.decoding;
    return greedyDecode(model, srcIds, maxLen, override, resumeAt(kept.decoding, first));
  }

  // ------------------------------------------------------------------------------------------
  // The override (decoding.check_override, focus_row)
  // ------------------------------------------------------------------------------------------

  /** f"{x:.{digits}f}": Python rounds the exact value of x half to even, toFixed rounds a tie up. */
  function pyFixed(x, digits) {
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    const sign = x < 0 || Object.is(x, -0) ? "-" : "";
    // Every digit of |x| (a double has a finite decimal expansion; 100 digits hold those that matter).
    const exact = Math.abs(x) < 1e21 ? Math.abs(x).toFixed(100) : `${BigInt(Math.abs(x))}.${"0".repeat(100)}`;
    const [whole, fraction] = exact.split(".");
    const rest = fraction.slice(digits);
    let kept = BigInt(whole + fraction.slice(0, digits));
    const half = "5".padEnd(rest.length, "0");
    if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n; // same-length digit strings
    const text = kept.toString().padStart(digits + 1, "0");
    return sign + (digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text);
  }

  /** str(value) as Python writes a step it refuses (True, not true). */
  function pyStr(value) {
    return typeof value === "boolean" ? (value ? "True" : "False") : String(value);
  }

  /** A Python tuple's text for a shape: (), (3,), (2, 10). */
  function pyShape(shape) {
    return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  }

  const isArrayLike = (value) => Array.isArray(value) || ArrayBuffer.isView(value);

  /** torch.as_tensor's shape of nested arrays (read along the first element; a number: ()). */
  function nestedShape(value) {
    if (!isArrayLike(value)) return [];
    return value.length ? [value.length, ...nestedShape(value[0])] : [0];
  }

  /** The override as [step, weights] pairs in the order given (Python's mapping step -> row). */
  function overrideEntries(override) {
    if (override instanceof Map) return [...override.entries()];
    if (Array.isArray(override)) return override.map((pair) => [pair[0], pair[1]]); // [[step, weights], ...]
    const keys = Object.keys(override);
    if (keys.length === 2 && keys.includes("step") && keys.includes("weights")) {
      return [[override.step, override.weights]];
    }
    // An object's keys are strings: "3" is step 3; any other key is refused as Python refuses it.
    return keys.map((key) => [/^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key, override[key]]);
  }

  /** An Error with check_override's words (the registry's template `key`); its code is the key. */
  function overrideError(messages, key, values) {
    const error = new Error(formatMessage(messages[key], values || {}));
    error.code = key;
    return error;
  }

  /**
   * decoding.check_override for one sentence of srcLen tokens (its words, then <eos>): the override
   * as a Map step -> Float32Array (S,) (float32, as torch.as_tensor(..., float32)), or an Error
   * thrown with Python's message. A row is valid when it has one weight per token, none is
   * negative or not a number, and they sum to 1 (within the registry's override_tolerance; the
   * sum is written with 4 decimals, as Python writes it). null, undefined or an empty override:
   * none (an empty Map).
   */
  function checkOverride(model, override, srcLen, registryData) {
    const {messages} = registryData;
    const entries = override === null || override === undefined ? [] : overrideEntries(override);
    if (entries.length === 0) return NO_OVERRIDE;
    if (!model.config.attention) throw overrideError(messages, "override_no_attention");
    const checked = new Map();
    for (const [step, given] of entries) {
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
        throw overrideError(messages, "override_step", {step: pyStr(step)});
      }
      let shape = nestedShape(given);
      let values = given;
      if (shape.length === 2 && shape[0] === 1) [values, shape] = [given[0], shape.slice(1)]; // one row (1, S)
      if (shape.length !== 1) throw overrideError(messages, "override_rows", {step, count: 1, shape: pyShape(shape)});
      const where = formatMessage(messages.override_where, {step});
      if (values.length !== srcLen) {
        throw overrideError(messages, "override_length", {where, count: values.length, tokens: srcLen});
      }
      const weights = Float32Array.from(values, (value) => {
        if (typeof value === "boolean") return Number(value); // as torch reads True and False
        if (typeof value !== "number") {
          const what = JSON.stringify(value) ?? typeof value;
          throw new TypeError(`the weights for step ${step} must be numbers, not ${what}`);
        }
        return value;
      }); // (S,)
      if (weights.some((w) => !Number.isFinite(w) || w < 0)) {
        throw overrideError(messages, "override_negative", {where});
      }
      let total = 0;
      for (const w of weights) total += w;
      total = Math.fround(total); // a float32 sum, as torch's
      if (Math.abs(total - 1) > registryData.override_tolerance) {
        throw overrideError(messages, "override_sum", {where, tokens: srcLen, total: pyFixed(total, 4)});
      }
      checked.set(step, weights);
    }
    return checked;
  }

  /** decoding.focus_row: length weights, all of it on token `position` ("look only at this word"). */
  function focusRow(length, position) {
    if (!(position >= 0 && position < length)) {
      throw new RangeError(`position must lie in [0, ${length}), got ${position}`);
    }
    return Array.from({length}, (_, j) => (j === position ? 1 : 0));
  }

  // ------------------------------------------------------------------------------------------
  // Loading a model: over http(s) its binary container, fetched; from file:// (where fetch is
  // refused) its script, a <script> tag. Both give the same tensors, decoded by one function.
  // ------------------------------------------------------------------------------------------

  // Where the page comes from decides the file: the binary is a quarter smaller.
  const FETCHES = location.protocol === "http:" || location.protocol === "https:";

  /** The URL of a model's file (entry.file, the script, or entry.binary), beside the registry. */
  function modelUrl(file) {
    return new URL(file, REGISTRY_URL).href;
  }

  /** The bytes of a base64 string. */
  function base64Bytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    return bytes;
  }

  // Every float16 bit pattern as a float32, built on first use: sign, 5 exponent bits, 10 fraction bits.
  let float16Table = null;
  function float16Values() {
    if (float16Table !== null) return float16Table;
    float16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) {
      const sign = bits & 0x8000 ? -1 : 1;
      const exponent = (bits >> 10) & 0x1f;
      const fraction = bits & 0x3ff;
      float16Table[bits] = exponent === 0 ? sign * fraction * 2 ** -24 // subnormal
        : exponent === 31 ? (fraction ? NaN : sign * Infinity)
          : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
    }
    return float16Table;
  }

  /**
   * A stored tensor as float32 (see bahdanau.cli.export_web), whichever file it came from:
   * {dtype, data (Uint8Array, its little-endian bytes), scale (Float32Array (R,), int8 only)}.
   * float32 as it is, float16 widened (exactly), int8 rows times their scale
   * (w[r, :] = scale[r] * q[r, :]). Always a new array: the file's bytes can be let go.
   */
  function dequantise(tensor) {
    const {dtype, data} = tensor;
    if (dtype === "float32") return new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4).slice();
    if (dtype === "float16") {
      const table = float16Values();
      const bits = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      return Float32Array.from(bits, (pattern) => table[pattern]);
    }
    if (dtype !== "int8") throw new Error(`unknown tensor dtype ${dtype}`);
    const q = new Int8Array(data.buffer, data.byteOffset, data.byteLength);
    const scale = tensor.scale; // (R,)
    const cols = q.length / scale.length;
    const out = new Float32Array(q.length);
    for (let r = 0; r < scale.length; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = scale[r] * q[r * cols + c];
    }
    return out;
  }

  /** The script's tensor {shape, dtype, data, scale?} (base64) as a stored tensor for dequantise. */
  function scriptTensor(entry) {
    return {shape: entry.shape, dtype: entry.dtype, data: base64Bytes(entry.data),
      scale: entry.dtype === "int8" ? new Float32Array(base64Bytes(entry.scale).buffer) : null};
  }

  // The binary container: the magic (the registry's binary_magic), the header's length (uint32,
  // little-endian), the JSON header, zero bytes up to a multiple of ALIGNMENT, the tensors' bytes.
  const ALIGNMENT = 4;

  /**
   * The document of a binary container (bahdanau.cli.export_web.binary_bytes), its tensors views
   * of `buffer` (no copy: every tensor starts at a multiple of 4 bytes), or an Error naming url.
   * Typed arrays read the platform's byte order: little-endian, as the file, on every browser's platform.
   */
  function parseContainer(buffer, url, magic) {
    const bytes = new Uint8Array(buffer);
    const headerStart = magic.length + 4; // after the magic and the header's length
    const found = String.fromCharCode(...bytes.subarray(0, magic.length));
    if (buffer.byteLength < headerStart || found !== magic) {
      throw new Error(`the file ${url} is not a model file (it does not start with ${magic}): ` +
        `it is written by ${EXPORT_COMMAND}`);
    }
    try {
      const headerLength = new DataView(buffer).getUint32(magic.length, true);
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength)));
      const start = Math.ceil((headerStart + headerLength) / ALIGNMENT) * ALIGNMENT; // the tensors' bytes
      const tensors = {};
      for (const [key, placed] of Object.entries(header.tensors)) {
        const scale = placed.dtype === "int8" // (R,): one float32 per row
          ? new Float32Array(buffer, start + placed.scale_offset, placed.shape[0]) : null;
        tensors[key] = {shape: placed.shape, dtype: placed.dtype,
          data: new Uint8Array(buffer, start + placed.offset, placed.length), scale};
      }
      return {...header, tensors};
    } catch (error) { // a cut or damaged file: a header that is not JSON, a tensor past the end
      throw new Error(`the file ${url} is not a readable model file (${error.message}): ` +
        `it is written by ${EXPORT_COMMAND}`);
    }
  }

  /** A Promise of model `name`'s document over http(s): its binary container, fetched. */
  async function fetchModel(name, entry, magic) {
    const url = modelUrl(entry.binary);
    const failed = (why) => new Error(`could not load the ${name} model file ${url} (${why}): it is written by ` +
      EXPORT_COMMAND);
    let response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw failed(error.message);
    }
    if (!response.ok) throw failed(`HTTP ${response.status}`);
    return parseContainer(await response.arrayBuffer(), url, magic);
  }

  /** A Promise of model `name`'s document from file://: its script, run by a <script> tag. */
  async function scriptModel(name, entry) {
    const models = () => window.bahdanauWebModels || {};
    const url = modelUrl(entry.file);
    if (!(name in models())) await injectScript(url, `the ${name} model file`);
    const data = models()[name];
    if (!data) throw new Error(`the file ${url} did not register a model named ${name}`);
    delete models()[name]; // the base64 text is no longer needed
    const tensors = Object.fromEntries(Object.entries(data.tensors).map(([key, t]) => [key, scriptTensor(t)]));
    return {...data, tensors};
  }

  /** The state dict's tensors (the model's parameters), arranged as the functions above read them. */
  function arrangeParams(config, tensors) {
    const t = (key) => {
      if (!(key in tensors)) throw new Error(`the model file has no tensor ${key}`);
      return dequantise(tensors[key]);
    };
    const gru = (prefix, suffix) => ({
      W_ih: t(`${prefix}.weight_ih_${suffix}`), W_hh: t(`${prefix}.weight_hh_${suffix}`),
      b_ih: t(`${prefix}.bias_ih_${suffix}`), b_hh: t(`${prefix}.bias_hh_${suffix}`),
    });
    const layers = [...Array(config.num_layers).keys()];
    return {
      encEmbedding: t("encoder.embedding.weight"), // (V_src, E)
      encRnn: layers.map((l) => config.bidirectional
        ? [gru("encoder.rnn", `l${l}`), gru("encoder.rnn", `l${l}_reverse`)]
        : [gru("encoder.rnn", `l${l}`)]),
      bridge: config.bidirectional ? {W: t("encoder.bridge.weight"), b: t("encoder.bridge.bias")} : null,
      attention: {
        W_q: t("decoder.attention.W_q.weight"), // (H, H): W_a
        W_k: t("decoder.attention.W_k.weight"), // (H, H_enc): U_a
        w_v: t("decoder.attention.w_v.weight"), // (1, H): v_a
      },
      decEmbedding: t("decoder.embedding.weight"), // (V_tgt, E)
      decRnn: layers.map((l) => gru("decoder.rnn", `l${l}`)),
      maxoutInput: config.deep_output
        ? {W: t("decoder.maxout_input.weight"), b: t("decoder.maxout_input.bias")} : null,
      dense: {W: t("decoder.dense.weight"), b: t("decoder.dense.bias")}, // (V_tgt, H or l)
    };
  }

  /** The model from its document {config, srcVocab, tgtVocab, tensors (stored tensors)}. */
  function buildModel(name, data, entry) {
    const config = data.config;
    if (!config.attention) throw new Error(`model ${name} has no attention; this port runs attention models`);
    const srcIndex = new Map(data.srcVocab.map((token, index) => [token, index]));
    const model = {
      name,
      config,
      limits: entry.limits, // the registry's: max_src_len, and default_max_len's max_len_per_src_token, max_len_extra
      maxSrcLen: entry.limits.max_src_len,
      srcVocab: data.srcVocab,
      tgtVocab: data.tgtVocab,
      srcIndex,
      encOutputSize: config.bidirectional ? 2 * config.num_hiddens : config.num_hiddens,
      params: arrangeParams(config, data.tensors),
    };
    return model;
  }

  const loading = {}; // name -> Promise of the model

  /** The registry's entry of model `name`, or an Error with Python's message for an unknown name. */
  function modelEntry(registryData, name) {
    if (typeof name === "string" && Object.hasOwn(registryData.models, name)) return registryData.models[name];
    const choices = Object.keys(registryData.models).join(", ");
    return new Error(formatMessage(registryData.messages.unknown_model, {name, choices}));
  }

  /** A Promise of model `name`, loading the registry and then its file the first time. */
  async function load(name) {
    const registryData = await registry();
    const entry = modelEntry(registryData, name);
    if (entry instanceof Error) throw entry;
    if (!(name in loading)) {
      // A script the page already ran (its own <script> tag) is used as it is, whatever the protocol.
      const reading = FETCHES && !(window.bahdanauWebModels && name in window.bahdanauWebModels)
        ? fetchModel(name, entry, registryData.binary_magic) : scriptModel(name, entry);
      loading[name] = reading.then((data) => buildModel(name, data, entry));
      loading[name].catch(() => delete loading[name]); // a later call may try again
    }
    return loading[name];
  }

  // ------------------------------------------------------------------------------------------
  // translate (decoding.translate, greedy, for one string)
  // ------------------------------------------------------------------------------------------

  function emptyResult(name, message) {
    return {tokens: [], srcTokens: [], attention: [], unknown: [], steps: [], truncated: false,
      finished: false, empty: true, message, model: name, steered: []};
  }

  /**
   * translate for one string on a loaded model. message: null, or Python's warning when the
   * input was cut to maxSrcLen words (the registry's truncated_input). override: translate's
   * (checked here, as Python checks it once the words are known).
   */
  function translateWith(model, text, registryData, override) {
    const {messages} = registryData;
    const {words, count, truncated} = wordsToTranslate(text, model.maxSrcLen);
    const {config, srcIndex} = model;
    const eos = model.srcVocab[config.eos];
    const srcIds = [...words.map((word) => srcIndex.get(word) ?? config.unk), config.eos]; // (S,)
    const steering = checkOverride(model, override, srcIds.length, registryData);
    const {ids, steps: kept} = decode(model, srcIds, defaultMaxLen(model.limits, words.length), steering);
    // The result's own copies: the kept decoding must not change if a caller edits them.
    const steps = kept.map((step) => ({...step, query: step.query.slice(), scores: step.scores.slice(),
      weights: step.weights.slice()}));
    const finished = ids[ids.length - 1] === config.eos;
    return {
      tokens: (finished ? ids.slice(0, -1) : ids).map((id) => model.tgtVocab[id]),
      srcTokens: [...words, eos],
      attention: steps.map((step) => step.weights), // (T, S): one row per output token, <eos> included
      unknown: unknownWords(words, srcIndex),
      steps,
      truncated,
      finished,
      empty: false,
      message: truncated ? formatMessage(messages.truncated_input,
        {where: messages.input_name, count, max_src_len: model.maxSrcLen}) : null,
      model: model.name,
      // Translation.steered: the steered steps the decoding reached (it may end before a step).
      steered: [...steering.keys()].filter((step) => step < ids.length).sort((a, b) => a - b),
    };
  }

  /**
   * Translate `text` (English) with options.model (the registry's default if left out): a Promise
   * of the result. Text without a word resolves with empty: true and Python's message.
   * options.override steers the attention (see the top of this file); an invalid one rejects.
   */
  async function translate(text, options = {}) {
    if (typeof text !== "string") {
      throw new TypeError(`bahdanauWeb.translate needs a string, not ${text === null ? "null" : typeof text}`);
    }
    const registryData = await registry();
    const name = (options && options.model) ?? registryData.default;
    const entry = modelEntry(registryData, name);
    if (entry instanceof Error) throw entry;
    const {messages} = registryData;
    if (sentenceWords(text).length === 0) {
      return emptyResult(name, formatMessage(messages.empty_input, {where: messages.input_name, text}));
    }
    return translateWith(await load(name), text, registryData, options && options.override);
  }

  window.bahdanauWeb = {
    translate,
    focusRow,
    load,
    registry,
    models: async () => Object.keys((await registry()).models),
    defaultModel: async () => (await registry()).default,
    // For tests and the curious: the pieces above, under their Python names' JavaScript spelling.
    internals: {
      preprocess, tokenize, sentenceWords, wordsToTranslate, defaultMaxLen, pyRepr, formatMessage, dequantise,
      gruStep, maxout, maskedSoftmax, decoderStep, initState, encode, greedyDecode, checkOverride, pyFixed,
      forgetDecodings: () => decodings.clear(), // the next steered translation starts from the encoder
    },
  };
})();
