// Search worker: Material's own search worker, run inside this one, with
//
// - Korean word-form analysis: the index's Korean text is segmented with the
//   lexicon that hooks/search.py computed with Kiwi at build time (a particle or
//   ending is a separate token; a compound or an inflected form also stands for
//   its stems), and each query word is reduced the same way (lexicon first, then
//   particles/endings learned from the pages, verb-stem restoration and a split
//   of compounds against the indexed terms);
// - glossary terms of the other language (`gradient` finds 기울기);
// - Korean spellings of English names (버트 finds BERT, 드롭아웃 dropout): a Korean
//   word that matches no indexed term is compared, by its consonants, with the
//   indexed English terms (before any typo correction);
// - a typo correction: a word that matches no indexed term is replaced by the
//   nearest indexed term (edit distance; Korean compared letter by letter, jamo);
// - ranking on top of Material's (rerank): the chapter that defines a glossary
//   term comes first for that term, in either language and under any of its
//   names; pages holding the query as a phrase come before pages holding its
//   words apart; hyphen, space and joined spellings are one query.
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
  // posted by intent.js when the page is idle: load the (small) titles index
  const PREPARE = "search-prepare";

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
    defining: new Map(),  // a glossary term's name, joined (no spaces/hyphens) -> its chapter
    pages: new Map(),     // page location -> its titles and text, normalised (phrase matching)
    latin: null,          // consonant skeleton -> the most frequent English index term
    context: null,        // what the ranking needs of the query being answered
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
  // Spellings: one form for hyphen, space and joined variants; consonant skeletons
  // ------------------------------------------------------------------------

  // fine-tuning, fine tuning, finetuning -> finetuning; 미세 조정, 미세조정 -> 미세조정
  const joined = (text) => text.normalize("NFC").toLowerCase().replace(/[\s\-‐‑–—_·]+/g, "");

  // an English name of two or three words, in any order: "gradient vanishing"
  const orderless = (list) =>
    list.length >= 2 && list.length <= 3 && list.every((w) => /^[a-z]+$/.test(w)) ? `~${[...list].sort().join(" ")}` : null;

  // text of a page as phrase matching sees it: tags and entities out, separators one space
  const normalise = (text) =>
    text
      .normalize("NFC")
      .toLowerCase()
      .replace(/<[^>]*>/g, " ")
      .replace(/&[a-z]+;|&#\d+;/g, " ")
      .replace(/[^\p{L}\p{N}]+/gu, " ");

  // Consonant skeletons: a Korean spelling of an English name and the name itself
  // share their consonants once each is mapped to what Hangul can write
  // (f, p -> p; v, b -> p; d, t -> t; r before a vowel -> l, else silent; ...).
  // 버트 ~ bert: "pt"; 드롭아웃 ~ dropout: "tlpt"; 트랜스포머 ~ transformer: "tlnspm".
  const CHO = ["k", "k", "n", "t", "t", "l", "m", "p", "p", "s", "s", "", "j", "j", "j", "k", "t", "p", "h"];
  const JONG = ["", "k", "k", "k", "n", "n", "n", "t", "l", "l", "l", "l", "l", "l", "l", "l",
    "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"];
  const squeeze = (s) => s.replace(/(.)\1+/g, "$1");
  function koreanSkeleton(word) {
    let out = "";
    for (const ch of word) {
      const code = ch.charCodeAt(0) - S_BASE;
      if (code < 0 || code >= 11172) return null;
      out += CHO[Math.floor(code / 588)] + JONG[code % 28];
    }
    return squeeze(out);
  }
  function latinSkeleton(word) {
    if (!/^[a-z]+$/.test(word)) return null;
    let w = word
      .replace(/tch/g, "ch")
      .replace(/g(?=[ei])/g, "j")
      .replace(/[st]ion/g, "sn")
      .replace(/ph/g, "p").replace(/th/g, "s").replace(/sh/g, "s").replace(/ch/g, "j")
      .replace(/ck/g, "k").replace(/qu?/g, "k").replace(/x/g, "ks")
      .replace(/c(?=[eiy])/g, "s").replace(/c/g, "k")
      .replace(/ng(?![aeiou])/g, "N")
      .replace(/r(?=[aeiouy])/g, "l").replace(/r/g, "");
    w = w[0] + w.slice(1).replace(/[hwy]/g, "");
    w = w.replace(/[aeiouy]/g, "").replace(/[fvb]/g, "p").replace(/d/g, "t").replace(/g/g, "k").replace(/z/g, "j");
    return squeeze(w.replace(/N/g, "ng"));
  }
  // the indexed English term a Korean word spells, if any
  function transliterate(word) {
    if (word.length < 2) return null;
    if (!state.latin) {
      state.latin = new Map();
      const stop = self.lunr && self.lunr.stopWordFilter;
      for (const term of state.vocab) {
        if (term.length < 3 || (stop && !stop(term))) continue; // 버트 is not "but"
        const key = latinSkeleton(term);
        if (!key) continue;
        const best = state.latin.get(key);
        if (!best || documentFrequency(term) > best[1]) state.latin.set(key, [term, documentFrequency(term)]);
      }
    }
    const key = koreanSkeleton(word);
    // one consonant is too weak a clue (렐루 would be "array" as much as "relu")
    const found = key && key.length >= 2 && state.latin.get(key);
    return found ? found[0] : null;
  }

  // ------------------------------------------------------------------------
  // Index side
  // ------------------------------------------------------------------------

  // ``separator``: the index's; a glossary name is split into words as a query is
  // (율-왜곡: 율 왜곡; %포인트: 포인트), so the two meet
  function loadAnalysis(analysis, separator) {
    const tails = new Set(KO_TAILS);
    for (const [name, targets] of Object.entries(analysis.glossary || {})) {
      const list = words(name, separator);
      if (!list.length) continue;
      const key = list.join(" ");
      state.glossary.set(key, [...new Set([...(state.glossary.get(key) || []), ...targets])]);
      const loose = orderless(list);
      if (loose && !state.glossary.has(loose)) state.glossary.set(loose, targets);
    }
    for (const [names, page] of analysis.defining || [])
      for (const name of names) {
        const list = words(name, separator);
        if (!list.length) continue;
        state.defining.set(joined(list.join("")), page);
        const loose = orderless(list);
        if (loose && !state.defining.has(loose)) state.defining.set(loose, page);
      }
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
    state.latin = null;
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
    for (const head of [word, ...heads]) {
      const english = transliterate(head);
      if (english) return [english];
    }
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

  // vgg16 and vgg-16, resnet50 and resnet 50: a name and its number are one word or two
  const letterDigits = (word) => (/^[a-z]+\d+$/.test(word) ? [word.replace(/\d+$/, ""), word.replace(/^[a-z]+/, "")] : []);

  function analyseOther(word, lunr) {
    if (prefixKnown(word)) {
      const stem = lunr.stemmer(new lunr.Token(word)).toString();
      return [...new Set([word, ...(stem.length >= 3 ? [stem] : []), ...splitOther(word), ...letterDigits(word)])];
    }
    const parts = splitOther(word);
    if (parts.length) return parts;
    if (letterDigits(word).length) return letterDigits(word);
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
        let targets = state.glossary.get(phrase) || state.glossary.get(orderless(list.slice(i, i + size)));
        if (!targets && HANGUL.test(phrase))
          for (const tail of KO_TAILS)
            if (phrase.endsWith(tail) && (targets = state.glossary.get(phrase.slice(0, -tail.length)))) break;
        if (targets) found.push(...targets);
      }
    return found;
  }

  function rewrite(query, config, lunr) {
    state.context = null;
    if (typeof query !== "string" || !state.index) return "";
    vocabulary();
    const separator = config.separator;
    const list = words(query.normalize("NFC").slice(0, MAX_CHARS), separator);
    const analyse = (word) => (HANGUL.test(word) ? analyseKorean(word) : analyseOther(word, lunr));
    const analysedList = list.map(analyse);
    const fixed = list.map((word, i) => {
      const [first, ...rest] = analysedList[i];
      const known = state.vocabSet.has(word) || state.content.has(word) || prefixKnown(word);
      return !known && !rest.length && first ? first : word;
    });
    state.context = queryContext(list, lunr, fixed);
    const terms = [];
    const stop = [];
    const extra = words(glossaryTerms(list).join(" "), separator);
    for (const [k, word] of [...list, ...extra].entries()) {
      const analysed = k < list.length ? analysedList[k] : analyse(word);
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
  // Ranking on top of Material's
  // ------------------------------------------------------------------------
  //
  // Material scores sections with lunr (BM25, title boost) and groups them by
  // page, the page of the best section first. Three rules reorder the pages:
  //
  // 1. the query names a glossary term (any of its names, in either language,
  //    with particles and question words around it): the chapter the glossary
  //    says defines it comes first;
  // 2. pages holding the query's words as a phrase come before pages holding
  //    them apart;
  // 3. otherwise Material's order; a glossary term that is only part of the
  //    query doubles its chapter's score.

  function loadPages(docs) {
    state.pages = new Map();
    for (const doc of docs) {
      const page = String(doc.location || "").split("#")[0];
      const text = ` ${normalise(`${doc.title || ""} ${doc.text || ""}`)} `;
      state.pages.set(page, (state.pages.get(page) || "") + text);
    }
  }

  const isKoreanStop = (word) => {
    if (KO_STOP.has(word)) return true;
    for (const tail of state.tails)
      if (word.length > tail.length && word.endsWith(tail) && KO_STOP.has(word.slice(0, -tail.length))) return true;
    return false;
  };

  // a Korean word and the same word without each particle/ending it may carry
  function withoutTails(word) {
    const out = [word];
    if (!HANGUL.test(word)) return out;
    for (const tail of state.tails)
      if (word.length > tail.length && word.endsWith(tail)) out.push(word.slice(0, -tail.length));
    return out;
  }

  // ``fixed``: each word as the analysis corrected it (a typo, a Korean spelling of an
  // English name), or the word itself
  function queryContext(list, lunr, fixed = list) {
    const stop = list.map((w) => (HANGUL.test(w) ? isKoreanStop(w) : !lunr.stopWordFilter(w)));
    const content = list.map((_, i) => i).filter((i) => !stop[i]);
    const context = { phrases: [], defining: null };
    if (!content.length) return context;
    // the glossary term covering most of the query's words
    for (const forms of fixed === list ? [list] : [list, fixed])
    for (let i = 0; i < forms.length; i++)
      for (let j = i + 1; j <= Math.min(forms.length, i + 4); j++) {
        const head = joined(forms.slice(i, j - 1).join(""));
        for (const last of withoutTails(forms[j - 1])) {
          const page = state.defining.get(head + joined(last)) ?? state.defining.get(orderless(forms.slice(i, j)));
          if (page === undefined) continue;
          const covered = content.filter((k) => k >= i && k < j).length;
          if (!context.defining || covered > context.defining.covered)
            context.defining = { page, covered, full: covered === content.length };
        }
      }
    // the phrase: from the first word that is not a stop word to the last
    const first = content[0];
    const last = content[content.length - 1];
    if (last === first && !HANGUL.test(list[first])) {
      const parts = splitOther(list[first]).length ? splitOther(list[first]) : letterDigits(list[first]);
      if (parts.length) context.phrases.push(` ${parts.join(" ")} `);
    }
    if (last > first) {
      const inner = list.slice(first, last).join(" ");
      for (const end of withoutTails(list[last]).slice(0, 8)) context.phrases.push(` ${inner} ${end}`);
    }
    return context;
  }

  function rerank(data, context) {
    if (!context || !data || !Array.isArray(data.items)) return data;
    const defining = context.defining;
    const groups = data.items.map((group, order) => {
      const page = group.length ? String(group[0].location).split("#")[0] : null;
      let score = Math.max(0, ...group.map((item) => item.score || 0));
      let tier = 2;
      if (defining && page === defining.page) {
        if (defining.full) tier = 0;
        else score *= 2;
      }
      if (tier === 2 && context.phrases.length) {
        const text = state.pages.get(page) || "";
        if (context.phrases.some((phrase) => text.includes(phrase))) tier = 1;
      }
      return { group, order, tier, score };
    });
    groups.sort((a, b) => a.tier - b.tier || b.score - a.score || a.order - b.order);
    return { ...data, items: groups.map((g) => g.group) };
  }

  // ------------------------------------------------------------------------
  // Run Material's worker inside this one, once the index is wanted
  // ------------------------------------------------------------------------
  //
  // The index Material's bundle fetches on every page load is a stub (config,
  // no documents, `config.titles_index` and `config.full_index`: URLs relative
  // to this file; see hooks/search.py). SETUP with a stub is answered with
  // READY at once. When the page says the reader is about to search (intent.js
  // posts INTENT), or at the first non-empty query at the latest:
  //
  // 1. this worker loads the titles index (every page and section title, no
  //    text; a few KB). It builds in milliseconds, and answers at once. The
  //    page asks for it earlier, when it is idle after loading (PREPARE), so
  //    that it is usually built before the reader searches;
  // 2. a second worker (this file again, `role=full`) loads and builds the full
  //    index beside it, which takes most of a second, so that building never
  //    keeps a query waiting. When it is built, it answers every query, first
  //    again the last one answered from titles.
  //
  // Where a worker cannot start a worker, this one builds the full index
  // itself after the titles. Queries that arrive while an index is loading are
  // answered when it is built, the latest one only.

  const ROLE = params.get("role") === "full" ? "full" : "front";
  const FULL_READY = "search-full-ready"; // posted by the full-index worker when built
  // posted to the page after each build ("titles", then "full"); intent.js shows it
  // as a property of its <script>. Material's bundle ignores other message types.
  const INDEX = "search-index";

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

  // Material's worker posts READY when it has built an index; after a stub's
  // SETUP the page already has its READY, and the later ones are dropped.
  let dropReady = 0;
  self.postMessage = function (message, ...rest) {
    if (dropReady && message && message.type === READY) {
      dropReady -= 1;
      return;
    }
    if (message && message.type === RESULT && state.context) {
      try {
        message = { ...message, data: rerank(message.data, state.context) };
      } catch (error) {
        console.error("search worker: ranking failed", error);
      }
    }
    return native.postMessage.call(self, message, ...rest);
  };

  let config = null;   // the index config Material has (after a build)
  let stub = null;     // SETUP message of a stub index
  let built = "";      // "" | "titles" | "full": the index Material holds
  let wanted = false;  // intent signalled before SETUP arrived
  let loading = null;  // promise: the indexes fetched and built
  let pending = null;  // the latest QUERY that arrived before an index was built
  let partial = null;  // the latest QUERY answered from the titles index

  // hand Material a SETUP with documents; resolves when it is built
  function build(message) {
    config = { ...message.data.config };
    const analysis = config.analysis || {};
    delete config.analysis;
    loadAnalysis(analysis, config.separator);
    loadPages(message.data.docs || []);
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
    partial = built === "titles" ? message : null;
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

  async function buildFrom(url, kind) {
    const started = performance.now();
    const index = await fetchIndex(url);
    dropReady += 1;
    await build({ ...stub, data: { ...stub.data, config: index.config, docs: index.docs } });
    built = kind;
    console.debug(`search worker: ${kind} index loaded and built in ${Math.round(performance.now() - started)} ms`);
    post(ROLE === "full" ? { type: FULL_READY } : { type: INDEX, data: kind });
    const message = pending || (kind === "full" ? partial : null);
    pending = null;
    if (message) answer(message);
  }

  // the worker that builds the full index beside this one (front role only)
  let helper = null;
  let helperReady = false;
  let upgrading = false; // the query answered from titles is being answered again
  function startHelper() {
    return new Promise((resolve, reject) => {
      const url = new URL(self.location.href);
      url.searchParams.set("role", "full");
      helper = new Worker(url.href);
      helper.onmessage = (event) => {
        const message = event.data;
        if (message && message.type === FULL_READY) {
          helperReady = true;
          built = "full";
          const last = pending || partial;
          pending = partial = null;
          // the page learns "full" once the last query has its full answer (in order)
          if (last) {
            upgrading = true;
            helper.postMessage(last);
          } else post({ type: INDEX, data: "full" });
          resolve();
        } else if (message && message.type === RESULT && helperReady) {
          post(message);
          if (upgrading) {
            upgrading = false;
            post({ type: INDEX, data: "full" });
          }
        }
      };
      helper.onerror = (event) => {
        event.preventDefault();
        helper.terminate();
        helper = null;
        reject(new Error(`search worker: the full-index worker failed: ${event.message}`));
      };
      helper.postMessage(stub);
      helper.postMessage({ type: INTENT });
    });
  }

  const indexURL = (name) => new URL(stub.data.config[name], self.location.href).href;
  const hasTitles = () => ROLE === "front" && typeof stub.data.config.titles_index === "string";

  // the titles index alone: when the page is idle (PREPARE), or on the way to the full one
  let titlesLoading = null;
  let prepared = false; // PREPARE arrived before SETUP
  function loadTitles() {
    if (!titlesLoading)
      titlesLoading = (hasTitles() ? buildFrom(indexURL("titles_index"), "titles") : Promise.resolve()).catch(
        (error) => console.warn("search worker: no titles index, waiting for the full one", error),
      );
    return titlesLoading;
  }
  function prepare() {
    if (!stub) prepared = true;
    else loadTitles();
  }

  function load() {
    if (!stub) {
      wanted = true;
      return;
    }
    if (loading) return;
    const front = hasTitles();
    const full = () => buildFrom(indexURL("full_index"), "full");
    loading = loadTitles()
      .then(() => {
        if (!front || typeof Worker !== "function") return full();
        return startHelper().catch((error) => {
          console.warn(error.message, "; building the full index here");
          return full();
        });
      })
      .catch((error) => {
        console.error("search worker: could not load the search index", error);
        dropReady = 0;
        loading = null; // the next query tries again
        if (!built) titlesLoading = null;
        if (pending && !built) {
          pending = null;
          post({ type: RESULT, data: { items: [] } });
        }
      });
  }

  native.addEventListener.call(self, "message", (event) => {
    const message = event.data;
    if (message && message.type === INTENT) return load();
    if (message && message.type === PREPARE) return prepare();
    if (message && message.type === SETUP) {
      const full = message.data && message.data.config && message.data.config.full_index;
      if (typeof full !== "string") {
        built = "full";
        return build(message); // a full index: as before
      }
      stub = message;
      post({ type: READY });
      if (wanted) load();
      else if (prepared) prepare();
      return;
    }
    if (message && message.type === QUERY) {
      // an empty query has no results: answered here at once, in order with the others. It is
      // not intent either: answered from the titles index, it must not fetch the full one
      const empty = typeof message.data !== "string" || message.data.trim() === "";
      if (empty && (helperReady || built !== "full")) {
        pending = partial = null; // nothing to answer again once the full index is built
        return post({ type: RESULT, data: { items: [] } });
      }
      if (helperReady) return helper.postMessage(message);
      if (built === "titles") load(); // a query is intent enough: the full index follows
      if (built) return answer(message);
      pending = message;
      return load();
    }
    return loadMaterial().call(self, { data: message }); // Material's worker rejects the rest
  });
})();
