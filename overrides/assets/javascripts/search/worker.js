// Search worker: Material's own search worker, run inside this one, with
//
// - Korean word-form analysis: the index's Korean text is segmented with the
//   lexicon that hooks/search.py computed with Kiwi at build time (a particle or
//   ending is a separate token; a compound or an inflected form also stands for
//   its stems), and each query word is reduced the same way (lexicon first, then
//   particles/endings learned from the pages, verb-stem restoration and a split
//   of compounds against the indexed terms);
// - glossary terms of the other language (`gradient` finds 기울기);
// - a typo correction: a word that matches no indexed term is replaced by the
//   nearest indexed term (edit distance; Korean compared letter by letter, jamo).
//
// Material's worker does the rest (lunr index, ranking, highlighting): this file
// captures its message listener, hands it the index with a segmenter installed,
// and rewrites each query before Material sees it. Nothing is fetched but
// Material's worker (and its lunr language files) and the full index from this
// site, and those only once the reader is about to search (see the end).
"use strict";

(() => {
  const params = new URL(self.location.href).searchParams;
  const material = params.get("material") || "";
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(material))
    throw new Error(`search worker: bad Material worker name ${JSON.stringify(material)}`);

  // Message types of Material's worker protocol
  const SETUP = 0;
  const READY = 1;
  const QUERY = 2;
  const RESULT = 3;
  // posted by intent.js: the reader is about to search
  const INTENT = "search-intent";

  // Bounds: a query is cut to this many characters and words, so a pasted page
  // of text costs no more than a sentence.
  const MAX_CHARS = 200;
  const MAX_WORDS = 12;

  const HANGUL = /[\uac00-\ud7a3]/;
  const KO_STOP = new Set([
    "뭐", "뭔", "무엇", "무슨", "어떻", "어떻게", "어떤", "왜", "언제", "어디", "좀",
    "것", "수", "대해", "대하", "알려", "주", "줘", "설명", "하", "되", "있", "이", "그", "저",
  ]);
  // common particles and endings a query may carry beyond those the pages use
  const KO_TAILS = [
    "은", "는", "이", "가", "을", "를", "의", "에", "에서", "으로", "로", "와", "과", "도", "만",
    "란", "이란", "이란?", "야", "이야", "요", "예요", "이에요", "에요", "인가요", "가요", "나요",
    "인지", "하다", "하기", "하는", "하는법", "하면", "하나요", "해요", "되다", "되는", "다", "기",
    "이다", "입니다", "하는지", "란게", "이란게", "에대해", "에대한",
  ];

  const state = {
    lexicon: new Map(),   // chunk -> surfaces of its pieces
    content: new Map(),   // chunk -> content terms (surface and stems) of its pieces
    extras: new Map(),    // piece surface -> stems it also stands for
    tails: [],            // particles/endings, longest first
    glossary: new Map(),  // other-language term -> this language's terms
    index: null,          // the lunr index Material built
    vocab: null,          // sorted index terms
    vocabSet: null,
    jamo: null,           // index term -> its jamo/letters, for typo correction
  };

  // ------------------------------------------------------------------------
  // Hangul helpers
  // ------------------------------------------------------------------------

  const S_BASE = 0xac00;
  const decompose = (word) => {
    let out = "";
    for (const ch of word) {
      const code = ch.charCodeAt(0) - S_BASE;
      if (code >= 0 && code < 11172) {
        const jong = code % 28;
        out += String.fromCharCode(0x1100 + Math.floor(code / 588), 0x1161 + Math.floor((code % 588) / 28));
        if (jong) out += String.fromCharCode(0x11a7 + jong);
      } else out += ch;
    }
    return out;
  };

  const VOWEL = { 6: 20, 9: 8, 14: 13, 1: 0, 10: 11 }; // ㅕ→ㅣ ㅘ→ㅗ ㅝ→ㅜ ㅐ→ㅏ ㅙ→ㅚ
  // Verb-stem candidates for an inflected head: 사라진→사라지, 사라져→사라지, 했→하
  const restore = (head) => {
    const out = new Set();
    const last = head.charCodeAt(head.length - 1) - S_BASE;
    if (last < 0 || last >= 11172) return out;
    const stem = head.slice(0, -1);
    const jong = last % 28;
    const jung = Math.floor((last % 588) / 28);
    const cho = Math.floor(last / 588);
    const make = (v, j) => stem + String.fromCharCode(S_BASE + cho * 588 + v * 28 + j);
    if (jong) out.add(make(jung, 0));
    if (jung in VOWEL) out.add(make(VOWEL[jung], 0));
    for (const h of [...out, head])
      for (const suffix of ["하", "되", "시키", "해", "했", "돼", "됐"])
        if (h.length > suffix.length && h.endsWith(suffix)) out.add(h.slice(0, -suffix.length));
    out.delete(head);
    return out;
  };

  // ------------------------------------------------------------------------
  // Index side
  // ------------------------------------------------------------------------

  function loadAnalysis(analysis) {
    const tails = new Set(KO_TAILS);
    for (const [key, targets] of Object.entries(analysis.glossary || {}))
      state.glossary.set(key, targets);
    for (const pieces of analysis.lexicon || []) {
      const surfaces = [];
      const content = [];
      for (const piece of pieces) {
        if (typeof piece === "string") {
          surfaces.push(piece);
          tails.add(piece);
        } else {
          const [surface, ...stems] = piece;
          surfaces.push(surface);
          content.push(surface, ...stems);
          if (stems.length) {
            const known = state.extras.get(surface) || [];
            state.extras.set(surface, [...new Set([...known, ...stems])]);
          }
        }
      }
      const chunk = surfaces.join("");
      state.lexicon.set(chunk, surfaces);
      state.content.set(chunk, content);
    }
    state.tails = [...tails].sort((a, b) => b.length - a.length);
  }

  // Material calls lunr.segmenter.segment(chunk) for a chunk whose ctype_ is
  // M/H/I/K, and indexes each returned piece at its own position.
  class KoreanSegmenter {
    ctype_(text) {
      return HANGUL.test(text) ? "H" : "O";
    }
    segment(text) {
      const surfaces = state.lexicon.get(text.toLowerCase());
      if (!surfaces || surfaces.reduce((n, s) => n + s.length, 0) !== text.length) return [text];
      let at = 0;
      return surfaces.map((s) => text.slice(at, (at += s.length)));
    }
  }

  // Pipeline function: a piece also stands for its stems (same position)
  function koreanStems(token) {
    const stems = state.extras.get(token.toString());
    if (!stems) return token;
    return [token, ...stems.map((stem) => token.clone(() => stem))];
  }

  function patchLunr(lunr, korean) {
    if (korean) lunr.TinySegmenter = KoreanSegmenter;
    else delete lunr.TinySegmenter;
    if (lunr.__i18nSearch) return;
    lunr.__i18nSearch = true;
    lunr.Pipeline.registerFunction(koreanStems, "koreanStems");
    const add = lunr.Builder.prototype.add;
    lunr.Builder.prototype.add = function (doc, attributes) {
      if (lunr.TinySegmenter === KoreanSegmenter && !this.pipeline._stack.includes(koreanStems))
        this.pipeline.add(koreanStems);
      return add.call(this, doc, attributes);
    };
    const build = lunr.Builder.prototype.build;
    lunr.Builder.prototype.build = function () {
      state.index = build.call(this);
      state.vocab = null;
      return state.index;
    };
  }

  // ------------------------------------------------------------------------
  // Query side
  // ------------------------------------------------------------------------

  function vocabulary() {
    if (state.vocab) return;
    // only words: a token of punctuation alone (a dash, say) is no correction for anything
    const terms = Object.keys(state.index ? state.index.invertedIndex : {}).filter((t) =>
      /[\p{L}\p{N}]/u.test(t),
    );
    state.vocab = terms.sort();
    state.vocabSet = new Set(terms);
    state.jamo = new Map();
  }

  // is `word` the start of an indexed term (what Material's trailing * matches)?
  function prefixKnown(word) {
    const vocab = state.vocab;
    let lo = 0;
    let hi = vocab.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vocab[mid] < word) lo = mid + 1;
      else hi = mid;
    }
    return lo < vocab.length && vocab[lo].startsWith(word);
  }

  function editDistance(a, b, max) {
    if (Math.abs(a.length - b.length) > max) return max + 1;
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      let best = i;
      for (let j = 1; j <= b.length; j++) {
        row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (row[j] < best) best = row[j];
      }
      if (best > max) return max + 1;
      prev = row;
    }
    return prev[b.length];
  }

  function documentFrequency(term) {
    const entry = state.index.invertedIndex[term];
    let n = 0;
    for (const field of Object.keys(entry)) if (field !== "_index") n += Object.keys(entry[field]).length;
    return n;
  }

  // the nearest indexed term, for a word that matches none
  function correct(word) {
    const korean = HANGUL.test(word);
    const letters = korean ? decompose(word) : word;
    if (letters.length < 4) return null;
    const max = letters.length >= 8 ? 2 : 1;
    let best = null;
    let bestDistance = max + 1;
    let bestFrequency = 0;
    for (const term of state.vocab) {
      if (HANGUL.test(term) !== korean || term.length < 2) continue;
      let other = term;
      if (korean) {
        other = state.jamo.get(term);
        if (other === undefined) state.jamo.set(term, (other = decompose(term)));
      }
      // a typed word may be the start of a longer term: compare with its prefix too
      const candidates = other.length > letters.length ? [other, other.slice(0, letters.length)] : [other];
      for (const candidate of candidates) {
        const d = editDistance(letters, candidate, max);
        if (d > bestDistance) continue;
        const frequency = documentFrequency(term);
        if (d < bestDistance || frequency > bestFrequency) {
          best = term;
          bestDistance = d;
          bestFrequency = frequency;
        }
      }
    }
    return best;
  }

  // split a Korean word into indexed terms (and a final particle/ending)
  function splitCompound(word) {
    const n = word.length;
    if (n < 3 || n > 24) return null;
    const cost = new Array(n + 1).fill(Infinity);
    const back = new Array(n + 1).fill(null);
    cost[0] = 0;
    const tails = new Set(state.tails);
    for (let i = 0; i < n; i++) {
      if (cost[i] === Infinity) continue;
      for (let j = i + 2; j <= n; j++) {
        const part = word.slice(i, j);
        if (state.vocabSet.has(part) && !tails.has(part) && cost[i] + 1 < cost[j]) {
          cost[j] = cost[i] + 1;
          back[j] = [i, true];
        }
      }
      const rest = word.slice(i);
      if (i > 0 && tails.has(rest) && cost[i] + 1 < cost[n]) {
        cost[n] = cost[i] + 1;
        back[n] = [i, false];
      }
    }
    if (cost[n] === Infinity || cost[n] < 2) return null;
    const parts = [];
    for (let j = n; j > 0; j = back[j][0]) if (back[j][1]) parts.unshift(word.slice(back[j][0], j));
    return parts.length ? parts : null;
  }

  function analyseKorean(word) {
    const known = state.content.get(word);
    if (known) return known;
    if (state.vocabSet.has(word)) return [word];
    const heads = [];
    for (const tail of state.tails)
      if (word.length > tail.length && word.endsWith(tail)) heads.push(word.slice(0, -tail.length));
    for (const head of [word, ...heads])
      for (const candidate of [head, ...restore(head)])
        if (candidate !== word && candidate.length >= 2 && state.vocabSet.has(candidate) && !state.tails.includes(candidate))
          return state.content.get(candidate) || [candidate];
    const parts = splitCompound(word);
    if (parts) return parts;
    if (prefixKnown(word)) return [word];
    for (const head of heads) if (head.length >= 2 && prefixKnown(head)) return [head];
    const fixed = correct(word);
    return [fixed || word];
  }

  // a closed compound the pages write in two (nonlinearity: non-linearity)
  function splitOther(word) {
    if (word.length < 7) return [];
    for (let i = 3; i <= word.length - 3; i++)
      if (state.vocabSet.has(word.slice(0, i)) && state.vocabSet.has(word.slice(i)))
        return [word.slice(0, i), word.slice(i)];
    return [];
  }

  function analyseOther(word, lunr) {
    if (prefixKnown(word)) {
      const stem = lunr.stemmer(new lunr.Token(word)).toString();
      return [...new Set([word, ...(stem.length >= 3 ? [stem] : []), ...splitOther(word)])];
    }
    const parts = splitOther(word);
    if (parts.length) return parts;
    if (/^[a-z]+\d+$/.test(word)) return [word.replace(/\d+$/, ""), word.replace(/^[a-z]+/, "")];
    const stem = lunr.stemmer(new lunr.Token(word)).toString();
    if (stem.length >= 3 && prefixKnown(stem)) return [stem];
    const fixed = correct(word);
    return [fixed || word];
  }

  // The words of a query, split as the index was (Material's separator),
  // lower case, with lunr's query syntax (* + - ~ ^ : \\) dropped.
  function words(query, separator) {
    const out = [];
    const pattern = new RegExp(separator, "g");
    let at = 0;
    const push = (part) => {
      for (const w of part.toLowerCase().split(/[^\p{L}\p{N}_.]+/u)) {
        const word = w.replace(/^\.+|\.+$/g, "");
        if (word) out.push(word);
      }
    };
    for (const match of query.matchAll(pattern)) {
      push(query.slice(at, match.index));
      at = match.index + match[0].length;
    }
    push(query.slice(at));
    return out.slice(0, MAX_WORDS);
  }

  function glossaryTerms(list) {
    const found = [];
    for (let size = Math.min(3, list.length); size >= 1; size--)
      for (let i = 0; i + size <= list.length; i++) {
        let phrase = list.slice(i, i + size).join(" ");
        let targets = state.glossary.get(phrase);
        if (!targets && HANGUL.test(phrase))
          for (const tail of KO_TAILS)
            if (phrase.endsWith(tail) && (targets = state.glossary.get(phrase.slice(0, -tail.length)))) break;
        if (targets) found.push(...targets);
      }
    return found;
  }

  function rewrite(query, config, lunr) {
    if (typeof query !== "string" || !state.index) return "";
    vocabulary();
    const separator = config.separator;
    const list = words(query.normalize("NFC").slice(0, MAX_CHARS), separator);
    const terms = [];
    const stop = [];
    for (const word of [...list, ...words(glossaryTerms(list).join(" "), separator)]) {
      const analysed = HANGUL.test(word) ? analyseKorean(word) : analyseOther(word, lunr);
      for (const term of analysed) {
        if (!/[\p{L}\p{N}]/u.test(term)) continue; // punctuation is no query term (lunr rejects "–")
        const isStop = KO_STOP.has(term) || (!HANGUL.test(term) && !lunr.stopWordFilter(term));
        (isStop ? stop : terms).push(term);
      }
    }
    const result = [...new Set(terms.length ? terms : stop)];
    return result.join(" ");
  }

  // ------------------------------------------------------------------------
  // Run Material's worker inside this one, once the full index is wanted
  // ------------------------------------------------------------------------
  //
  // The index Material's bundle fetches on every page load is a stub (config,
  // no documents, and `config.full_index`: the full index's URL relative to
  // this file; see hooks/search.py). SETUP with a stub is answered with READY
  // at once; the full index (and Material's worker) are loaded when the page
  // says the reader is about to search (intent.js posts INTENT) or at the
  // first non-empty query at the latest. Queries that arrive meanwhile are
  // answered when the index is built, the latest one only.

  const native = {
    addEventListener: self.addEventListener,
    postMessage: self.postMessage,
  };
  const post = (message) => native.postMessage.call(self, message);

  let materialListener = null;
  function loadMaterial() {
    if (materialListener) return materialListener;
    self.addEventListener = function (type, listener, options) {
      if (type === "message" && materialListener === null) materialListener = listener;
      else native.addEventListener.call(self, type, listener, options);
    };
    try {
      importScripts(new URL(`../workers/${material}`, self.location.href).href);
    } finally {
      delete self.addEventListener;
    }
    if (materialListener === null) throw new Error("search worker: Material's worker registered no listener");
    return materialListener;
  }

  // Material's worker posts READY when it has built the index; after a stub's
  // SETUP the page already has its READY, and a second one is dropped.
  let dropReady = false;
  self.postMessage = function (message, ...rest) {
    if (dropReady && message && message.type === READY) {
      dropReady = false;
      return;
    }
    return native.postMessage.call(self, message, ...rest);
  };

  let config = null;   // the index config Material has (after build)
  let stub = null;     // SETUP message of a stub index, until the full index is built
  let wanted = false;  // intent signalled before SETUP arrived
  let loading = null;  // promise: the full index fetched and built
  let pending = null;  // the latest QUERY that arrived before the index was built

  // hand Material a SETUP with a full index; resolves when it is built
  function build(message) {
    config = { ...message.data.config };
    const analysis = config.analysis || {};
    delete config.analysis;
    loadAnalysis(analysis);
    const listener = loadMaterial();
    patchLunr(self.lunr, Array.isArray(analysis.lexicon));
    return listener.call(self, { data: { ...message, data: { ...message.data, config } } });
  }

  function answer(message) {
    let query = "";
    try {
      query = rewrite(message.data, config, self.lunr);
    } catch (error) {
      console.error("search worker: query analysis failed", error);
    }
    return materialListener.call(self, { data: { ...message, data: query } });
  }

  async function fetchIndex(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const index = await response.json();
    if (!index || typeof index.config !== "object" || !Array.isArray(index.docs))
      throw new Error(`${url}: not a search index`);
    return index;
  }

  function load() {
    if (!stub) {
      wanted = true;
      return;
    }
    if (loading) return;
    const url = new URL(stub.data.config.full_index, self.location.href).href;
    const started = performance.now();
    loading = fetchIndex(url)
      .then((index) => {
        dropReady = true;
        return build({ ...stub, data: { ...stub.data, config: index.config, docs: index.docs } });
      })
      .then(() => {
        stub = null;
        console.debug(`search worker: index loaded and built in ${Math.round(performance.now() - started)} ms`);
        const message = pending;
        pending = null;
        if (message) return answer(message);
      })
      .catch((error) => {
        console.error("search worker: could not load the search index", error);
        dropReady = false;
        loading = null; // the next query tries again
        if (pending) {
          pending = null;
          post({ type: RESULT, data: { items: [] } });
        }
      });
  }

  native.addEventListener.call(self, "message", (event) => {
    const message = event.data;
    if (message && message.type === INTENT) return load();
    if (message && message.type === SETUP) {
      const full = message.data && message.data.config && message.data.config.full_index;
      if (typeof full !== "string") return build(message); // a full index: as before
      stub = message;
      post({ type: READY });
      if (wanted) load();
      return;
    }
    if (message && message.type === QUERY) {
      if (config && !stub) return answer(message);
      const empty = typeof message.data !== "string" || message.data.trim() === "";
      pending = empty ? null : message;
      if (empty) return post({ type: RESULT, data: { items: [] } });
      return load();
    }
    return loadMaterial().call(self, { data: message }); // Material's worker rejects the rest
  });
})();
