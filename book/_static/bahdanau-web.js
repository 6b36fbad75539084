/*
 * bahdanau-web.js: the shipped attention models, translating in the reader's browser.
 *
 * A port of the Python package's inference path, one function per Python function it mirrors:
 *   data.preprocess, data.tokenize            -> preprocess, tokenize
 *   models.Seq2SeqEncoder.forward             -> encode
 *   models.Seq2SeqAttentionDecoder.init_state -> initState
 *   models.Seq2SeqAttentionDecoder.step       -> decoderStep (with attention.additive_scores,
 *                                                attention.masked_softmax, models.gru_update)
 *   models.maxout, the output layer           -> maxout, outputLogits
 *   decoding.greedy_decode, decoding.translate -> greedyDecode, translate
 * The weights come from `python -m bahdanau.export_web` (models/bahdanau-model-NAME.js beside
 * this file), and tests/test_browser_parity.py checks that this file and PyTorch, on those same
 * weights, write the same translations with the same attention (to 1e-3).
 *
 * Public API (window.bahdanauWeb):
 *   await bahdanauWeb.translate(text, {model: "rnnsearch"})
 *     -> {tokens, srcTokens, attention, unknown, steps, truncated, finished, empty, model}
 *   bahdanauWeb.models()   the model names
 *   bahdanauWeb.load(name) a Promise of the loaded model ({name, config, maxSrcLen, ...})
 *
 * Shapes (as in the package): S source length, E embedding size, H hidden size,
 * H_enc = H or 2H (bidirectional encoder), V vocabulary size, L layers. Every matrix is a
 * row-major Float32Array; a comment gives its shape where it is made.
 */
(function () {
  "use strict";

  // Captured now: document.currentScript is only set while this file runs. The model files are
  // found relative to this file, so the same page works from file:// and from http://.
  const SCRIPT_URL = (document.currentScript && document.currentScript.src) || document.baseURI;
  const MODEL_NAMES = ["attention", "rnnsearch"];
  const DEFAULT_MODEL = "rnnsearch";
  const EOS = "<eos>";
  const EMPTY_MESSAGE = "Type an English sentence to translate.";

  // ------------------------------------------------------------------------------------------
  // Preprocessing and tokenisation (bahdanau.data.preprocess, tokenize)
  // ------------------------------------------------------------------------------------------

  // Python's str.split() separators (str.isspace()): translate() reads any run of them as one
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

  /** decoding._words_to_translate for one string: {words, truncated} (words cut to maxSrcLen). */
  function wordsToTranslate(text, maxSrcLen) {
    const words = tokenize(text.split(PY_WHITESPACE).filter((part) => part !== "").join(" "));
    return {words: words.slice(0, maxSrcLen), truncated: words.length > maxSrcLen};
  }

  /** decoding.default_max_len: 2 * src_len + 5 output tokens, <eos> included. */
  function defaultMaxLen(config, srcLen) {
    return config.max_len_per_src_token * srcLen + config.max_len_extra;
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
  // The GRU (models.gru_update): nn.GRU's equations, gates in its order r, z, n
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
   * Read the source ids (S,) once. Returns {encOutputs (S, H_enc), hiddenState: L arrays (H,)}.
   * Bidirectional (the paper, section 3.2): h_j = [->h_j ; <-h_j], and per layer the decoder
   * starts from s_0 = tanh(W_s <-h_1) (appendix A.2.2), <-h_1 being the backward direction's
   * state after it has read the whole sentence, last word first.
   */
  function encode(model, srcIds) {
    const {config, weights} = model;
    const H = config.num_hiddens;
    let inputs = srcIds.map((id) => row(weights.encEmbedding, id, config.embed_size)); // S x (E,)
    const hiddenState = [];
    for (let layer = 0; layer < config.num_layers; layer++) {
      const forward = gruLayer(weights.encRnn[layer][0], inputs, H, false);
      if (!config.bidirectional) {
        inputs = forward;
        hiddenState.push(forward[forward.length - 1]); // the state at the last token
        continue;
      }
      const backward = gruLayer(weights.encRnn[layer][1], inputs, H, true);
      inputs = forward.map((state, j) => concat(state, backward[j])); // S x (2H,)
      // s_0 = tanh(W_s <-h_1)
      const bridged = linear(weights.bridge.W, weights.bridge.b, backward[0], H, H);
      hiddenState.push(bridged.map(Math.tanh));
    }
    return {encOutputs: concat(...inputs), hiddenState}; // (S, H_enc)
  }

  /** Seq2SeqAttentionDecoder.init_state: keep the annotations, project them once: U_a h_j. */
  function initState(model, encoded) {
    const {config, weights} = model;
    const S = encoded.encOutputs.length / model.encOutputSize;
    const encKeys = new Float32Array(S * config.num_hiddens); // (S, H): U_a h_j for every j
    for (let j = 0; j < S; j++) {
      const key = linear(weights.attention.W_k, null, row(encoded.encOutputs, j, model.encOutputSize),
        config.num_hiddens, model.encOutputSize);
      encKeys.set(key, j * config.num_hiddens);
    }
    return {encOutputs: encoded.encOutputs, encKeys, hiddenState: encoded.hiddenState, S};
  }

  // ------------------------------------------------------------------------------------------
  // Attention (bahdanau.attention) and one decoder step
  // ------------------------------------------------------------------------------------------

  /** attention.additive_scores: e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j) (eq. 6), one per j. */
  function additiveScores(model, query, state) {
    const {weights} = model;
    const h = model.config.num_hiddens;
    const projectedQuery = linear(weights.attention.W_q, null, query, h, query.length); // W_a s_{i-1}
    const scores = new Float32Array(state.S);
    for (let j = 0; j < state.S; j++) {
      let e = 0;
      for (let k = 0; k < h; k++) {
        e += weights.attention.w_v[k] * Math.tanh(projectedQuery[k] + state.encKeys[j * h + k]);
      }
      scores[j] = e;
    }
    return scores;
  }

  /**
   * attention.masked_softmax over one sentence (no padding here, so nothing to mask):
   * alpha_ij = exp(e_ij) / sum_k exp(e_ik) (eq. 6), computed as exp(e_ij - max_k e_ik) / ...,
   * which is the same number and never overflows.
   */
  function maskedSoftmax(scores) {
    let max = -Infinity;
    for (const e of scores) max = Math.max(max, e);
    const weights = scores.map((e) => Math.exp(e - max));
    let total = 0;
    for (const w of weights) total += w;
    return weights.map((w) => w / total);
  }

  /** c_i = sum_j alpha_ij h_j (eq. 5): (H_enc,). */
  function contextVector(model, attentionWeights, encOutputs) {
    const width = model.encOutputSize;
    const context = new Float32Array(width);
    for (let j = 0; j < attentionWeights.length; j++) {
      const alpha = attentionWeights[j];
      for (let k = 0; k < width; k++) context[k] += alpha * encOutputs[j * width + k];
    }
    return context;
  }

  /** models.maxout: t_{i,j} = max(t~_{i,2j-1}, t~_{i,2j}) (appendix A.2.2): (2l,) -> (l,). */
  function maxout(preActivations) {
    const out = new Float32Array(preActivations.length / 2);
    for (let j = 0; j < out.length; j++) out[j] = Math.max(preActivations[2 * j], preActivations[2 * j + 1]);
    return out;
  }

  /**
   * The output layer: logits W_o s_i + b_o (d2l's), or the paper's deep output
   * t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i, t_i = maxout(t~_i), logits W_o t_i + b_o.
   */
  function outputLogits(model, newState, embedding, context) {
    const {config, weights} = model;
    let features = newState; // s_i
    if (config.deep_output) {
      const input = concat(newState, embedding, context); // [s_i ; E y_{i-1} ; c_i]
      const preMaxout = linear(weights.maxoutInput.W, weights.maxoutInput.b, input,
        2 * config.deep_output, input.length); // (2l,): t~_i
      features = maxout(preMaxout); // (l,): t_i
    }
    return linear(weights.dense.W, weights.dense.b, features, config.tgt_vocab_size, features.length); // (V,)
  }

  /**
   * Seq2SeqAttentionDecoder.step, then the output layer, for the previous token y_{i-1}:
   * s_{i-1} -> e_ij -> alpha_ij -> c_i -> GRU -> s_i -> logits. Returns the new state and what
   * the step-through view shows (query s_{i-1}, scores e_ij, weights alpha_ij).
   */
  function decoderStep(model, state, prevToken) {
    const {config, weights} = model;
    const query = state.hiddenState[config.num_layers - 1]; // s_{i-1}
    const scores = additiveScores(model, query, state); // e_ij (S,)
    const attentionWeights = maskedSoftmax(scores); // alpha_ij (S,)
    const context = contextVector(model, attentionWeights, state.encOutputs); // c_i (H_enc,)
    const embedding = row(weights.decEmbedding, prevToken, config.embed_size); // E y_{i-1}
    // The GRU, one layer after the other; layer 0 reads [c_i ; E y_{i-1}], layer l > 0 the state below.
    let input = concat(context, embedding);
    const hiddenState = [];
    for (let layer = 0; layer < config.num_layers; layer++) {
      const newState = gruStep(weights.decRnn[layer], input, state.hiddenState[layer]);
      hiddenState.push(newState);
      input = newState;
    }
    const logits = outputLogits(model, hiddenState[config.num_layers - 1], embedding, context);
    return {state: {...state, hiddenState}, logits, query, scores, attentionWeights};
  }

  /** The index of the largest logit (the first one among equals, as torch.argmax). */
  function argmax(values) {
    let best = 0;
    for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
    return best;
  }

  /**
   * decoding.greedy_decode for one sentence: y_i = argmax_y p(y | y_<i, x), fed back, until
   * <eos> or maxLen tokens (<eos> included). Returns {ids, steps}.
   */
  function greedyDecode(model, srcIds, maxLen) {
    const {config} = model;
    let state = initState(model, encode(model, srcIds));
    let prevToken = config.bos;
    const ids = [];
    const steps = [];
    for (let i = 0; i < maxLen; i++) {
      const step = decoderStep(model, state, prevToken);
      const token = argmax(step.logits);
      ids.push(token);
      steps.push({query: Array.from(step.query), scores: Array.from(step.scores),
        weights: Array.from(step.attentionWeights), token: model.tgtVocab[token]});
      if (token === config.eos) break;
      state = step.state;
      prevToken = token;
    }
    return {ids, steps};
  }

  // ------------------------------------------------------------------------------------------
  // Loading a model file: a <script> tag (file:// allows it; fetch it would refuse)
  // ------------------------------------------------------------------------------------------

  function modelUrl(name) {
    return new URL(`models/bahdanau-model-${name}.js`, SCRIPT_URL).href;
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
   * A tensor of the export as float32 (see bahdanau.export_web): float32 as it is, float16
   * widened (exactly), int8 rows times their scale (w[r, :] = scale[r] * q[r, :]).
   */
  function dequantise(entry) {
    const bytes = base64Bytes(entry.data);
    if (entry.dtype === "float32") return new Float32Array(bytes.buffer);
    if (entry.dtype === "float16") {
      const table = float16Values();
      return Float32Array.from(new Uint16Array(bytes.buffer), (bits) => table[bits]);
    }
    if (entry.dtype !== "int8") throw new Error(`unknown tensor dtype ${entry.dtype}`);
    const q = new Int8Array(bytes.buffer);
    const scale = new Float32Array(base64Bytes(entry.scale).buffer); // (R,)
    const cols = q.length / scale.length;
    const out = new Float32Array(q.length);
    for (let r = 0; r < scale.length; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = scale[r] * q[r * cols + c];
    }
    return out;
  }

  /** The state dict's tensors, arranged as the functions above read them. */
  function arrangeWeights(config, tensors) {
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

  function buildModel(name, data) {
    const config = data.config;
    if (!config.attention) throw new Error(`model ${name} has no attention; this port runs attention models`);
    const srcIndex = new Map(data.srcVocab.map((token, index) => [token, index]));
    const model = {
      name,
      config,
      maxSrcLen: config.max_src_len,
      srcVocab: data.srcVocab,
      tgtVocab: data.tgtVocab,
      srcIndex,
      encOutputSize: config.bidirectional ? 2 * config.num_hiddens : config.num_hiddens,
      weights: arrangeWeights(config, data.tensors),
    };
    model.translate = (text) => translateWith(model, text); // synchronous, once loaded
    return model;
  }

  const built = {}; // name -> model
  const loading = {}; // name -> Promise of the model

  function injectScript(name) {
    return new Promise((resolve, reject) => {
      const url = modelUrl(name);
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => reject(new Error(
        `could not load the ${name} model file ${url}: it is written by \`make book\` ` +
        `(python -m bahdanau.export_web ${name} book/_static/models)`));
      document.head.appendChild(script);
    });
  }

  /** A Promise of model `name`, loading its file the first time. */
  function load(name) {
    if (typeof name !== "string" || !MODEL_NAMES.includes(name)) {
      const choices = MODEL_NAMES.join(", ");
      return Promise.reject(new Error(`no model named ${JSON.stringify(name)}; choose one of ${choices}`));
    }
    if (!(name in loading)) {
      const registry = () => window.bahdanauWebModels || {};
      loading[name] = (name in registry() ? Promise.resolve() : injectScript(name)).then(() => {
        const data = registry()[name];
        if (!data) throw new Error(`the file ${modelUrl(name)} did not register a model named ${name}`);
        built[name] = buildModel(name, data);
        delete registry()[name]; // the base64 text is no longer needed
        return built[name];
      });
      loading[name].catch(() => delete loading[name]); // a later call may try again
    }
    return loading[name];
  }

  // ------------------------------------------------------------------------------------------
  // translate (decoding.translate, greedy, for one string)
  // ------------------------------------------------------------------------------------------

  function emptyResult(model, message) {
    return {tokens: [], srcTokens: [], attention: [], unknown: [], steps: [], truncated: false,
      finished: false, empty: true, message, model};
  }

  function translateWith(model, text) {
    if (typeof text !== "string") {
      throw new TypeError(`translate needs a string, not ${text === null ? "null" : typeof text}`);
    }
    const {words, truncated} = wordsToTranslate(text, model.maxSrcLen);
    if (words.length === 0) return emptyResult(model.name, EMPTY_MESSAGE);
    const {config, srcIndex} = model;
    const srcIds = [...words.map((word) => srcIndex.get(word) ?? config.unk), config.eos]; // (S,)
    const {ids, steps} = greedyDecode(model, srcIds, defaultMaxLen(config, words.length));
    const finished = ids[ids.length - 1] === config.eos;
    return {
      tokens: (finished ? ids.slice(0, -1) : ids).map((id) => model.tgtVocab[id]),
      srcTokens: [...words, EOS],
      attention: steps.map((step) => step.weights), // (T, S): one row per output token, <eos> included
      unknown: unknownWords(words, srcIndex),
      steps,
      truncated,
      finished,
      empty: false,
      model: model.name,
    };
  }

  /** Translate `text` (English) with options.model (default "rnnsearch"): a Promise of the result. */
  async function translate(text, options = {}) {
    const name = (options && options.model) ?? DEFAULT_MODEL;
    if (typeof text !== "string") {
      throw new TypeError(`bahdanauWeb.translate needs a string, not ${text === null ? "null" : typeof text}`);
    }
    if (!MODEL_NAMES.includes(name)) return load(name); // rejects, naming the models there are
    if (wordsToTranslate(text, Infinity).words.length === 0) {
      return emptyResult(name, EMPTY_MESSAGE);
    }
    const model = await load(name);
    return translateWith(model, text);
  }

  window.bahdanauWeb = {
    translate,
    load,
    models: () => MODEL_NAMES.slice(),
    defaultModel: DEFAULT_MODEL,
    modelUrl,
    // For tests and the curious: the pieces above, under their Python names' JavaScript spelling.
    internals: {
      preprocess, tokenize, wordsToTranslate, defaultMaxLen, dequantise, gruStep, maxout, maskedSoftmax,
    },
  };
})();
