// The admin intents page: list the intents, try a phrase (typed or said), and add what
// callers said that was not understood as examples. Every request carries the admin token.
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g,
  (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const pct = (x) => Math.max(0, Math.min(100, x * 100)).toFixed(1) + "%";

let intents = [];
let version = null;
let added = {};  // intent -> texts added from this page (highlighted)

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function token() { return sessionStorage.getItem("voice-token") || ""; }
$("token").value = token();
$("token").addEventListener("change", (e) => {
  sessionStorage.setItem("voice-token", e.target.value.trim());
  loadAll();
});
if (location.hash.startsWith("#token=")) {
  sessionStorage.setItem("voice-token", decodeURIComponent(location.hash.slice(7)));
  $("token").value = token();
  history.replaceState(null, "", location.pathname);
}

async function api(path, options = {}) {
  const headers = {Authorization: "Bearer " + token(), ...(options.headers || {})};
  const response = await fetch(path, {...options, headers});
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  if (response.status === 401) {
    $("error").textContent = "Enter the admin token";
    throw new ApiError(401, "Enter the admin token");
  }
  if (!response.ok) {
    const detail = data && (data.errors ? data.errors.join("; ") : data.detail);
    throw new ApiError(response.status, detail || `${path}: HTTP ${response.status}`);
  }
  $("error").textContent = "";
  return data;
}

const postJson = (path, body) => api(path, {
  method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
});

// -- status and intents ---------------------------------------------------------------

function showStatus(status) {
  const since = new Date(status.active_since).toLocaleTimeString();
  const failed = Boolean(status.last_error);
  $("status").className = "status" + (failed ? " failed" : "");
  $("status").innerHTML = `<span class="dot"></span>version <strong>${esc(status.version)}</strong>`
    + ` · active since ${esc(since)} · ${esc(status.intents)} intents`
    + (failed ? " · <strong>last edit not loaded</strong>" : "");
  $("file-error").hidden = !failed;
  $("file-error-text").textContent = status.last_error || "";
  if (version !== null && version !== status.version) loadIntents();
  version = status.version;
}

function intentItem(intent, open) {
  const facts = [intent.file, intent.outcome];
  if (intent.fulfillment) facts.push("looks up " + intent.fulfillment.replace(/_/g, " "));
  if (intent.slots.length) facts.push("asks for " + intent.slots.join(", ").replace(/_/g, " "));
  const fresh = new Set(added[intent.name] || []);
  const examples = intent.examples.map((e) =>
    `<li${fresh.has(e) ? ' class="new"' : ""}>${esc(e)}</li>`).join("");
  return `<details class="intent" data-name="${esc(intent.name)}"${open ? " open" : ""}>
    <summary><div class="head"><strong>${esc(intent.name)}</strong>
      <span class="count">${intent.examples.length} examples</span></div>
      <div>${esc(intent.description)}</div>
      <div class="muted">${esc(facts.join(" · "))}</div></summary>
    <ul>${examples}</ul></details>`;
}

async function loadIntents(flash = null) {
  const data = await api("/api/intents");
  const open = new Set([...document.querySelectorAll(".intent[open]")].map((d) => d.dataset.name));
  intents = data.intents;
  $("intents").innerHTML = intents.length
    ? intents.map((i) => intentItem(i, open.has(i.name))).join("")
    : '<p class="empty">No intents.</p>';
  $("intent-count").textContent = String(intents.length);
  $("rule").textContent = `The bot accepts the best intent when it scores at least `
    + `${data.threshold.toFixed(2)} (threshold) and leads the next by ${data.margin.toFixed(2)} (margin).`;
  version = data.status.version;  // the list is of this version: no second load
  showStatus(data.status);
  if (flash) {
    const count = document.querySelector(`.intent[data-name="${CSS.escape(flash)}"] .count`);
    if (count) count.classList.add("flash");
    const fresh = [...document.querySelectorAll(`.intent[data-name="${CSS.escape(flash)}"] li.new`)];
    if (fresh.length) fresh[fresh.length - 1].scrollIntoView({block: "nearest"});
  }
}

async function pollStatus() {
  if (!token()) return;
  try { showStatus(await api("/api/intents/status")); } catch (err) { console.warn(err); }
}

$("reload").addEventListener("click", async () => {
  $("reload").disabled = true;
  try {
    const result = await api("/api/intents/reload", {method: "POST"});
    showStatus(result.status);
    await loadIntents();
  } catch (err) { $("error").textContent = err.message; }
  finally { $("reload").disabled = false; }
});

// -- try a phrase -----------------------------------------------------------------------

function showRanking(result) {
  const box = $("result");
  const top = result.ranked.slice(0, 10);
  const heard = result.transcript !== undefined
    ? `<p class="heard">Heard: <q>${esc(result.transcript || "(nothing)")}</q>
       <span class="muted">· speech confidence ${Number(result.stt_confidence).toFixed(2)}
       · ${Number(result.duration_s).toFixed(1)} s</span></p>` : "";
  const verdict = result.accepted
    ? `<div class="verdict accepted">✓ ${esc(result.intent)}: the bot would accept it</div>`
    : `<div class="verdict refused">✗ The bot would not be sure (${esc(
        {below_threshold: "below threshold", margin: "margin too small", meaning: "too far in meaning",
         nothing: "no request", no_speech: "no speech",
         no_intents: "no intents"}[result.reason] || result.reason)})</div>`;
  const bars = top.map((r, i) => {
    const best = i === 0 ? " best" + (result.accepted ? "" : " refused") : "";
    return `<span class="name" title="${esc(r.intent)}">${esc(r.intent)}</span>
      <div class="bar" data-intent="${esc(r.intent)}"><div class="fill${best}" style="width:${pct(r.score)}"></div>
        <div class="mark" style="left:${pct(result.threshold)}" title="threshold"></div></div>
      <span class="score">${r.score.toFixed(2)}</span>`;
  }).join("");
  const topic = result.topic
    ? `<p class="topic">The policy hands this over at once: sensitive topic
       <strong>${esc(result.topic.topic)}</strong> (${esc(result.topic.priority)}).</p>` : "";
  box.innerHTML = heard + verdict + `<p class="why muted">${esc(result.why)}</p>`
    + (top.length ? `<div class="bars">${bars}</div>
      <p class="legend muted">Bars: confidence 0–1. The black line is the threshold
      (${result.threshold.toFixed(2)}); the best must also lead the runner-up by the margin
      (${result.margin.toFixed(2)}).</p>` : "") + topic;
}

async function tryPhrase(text) {
  if (!text.trim()) return;
  $("phrase").value = text;
  try { showRanking(await postJson("/api/intents/try", {text})); }
  catch (err) { $("result").innerHTML = `<p class="msg bad">${esc(err.message)}</p>`; }
}

$("try-form").addEventListener("submit", (e) => { e.preventDefault(); tryPhrase($("phrase").value); });

// -- say a phrase: MediaRecorder -> /api/intents/try-audio ------------------------------

let recorder = null;
let stopTimer = null;
const MAX_RECORD_MS = 10000;

async function startRecording() {
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    $("mic-state").textContent = "This browser cannot record (it needs HTTPS or localhost).";
    return;
  }
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({audio: true}); }
  catch (err) { $("mic-state").textContent = "No microphone: " + err.message; return; }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
  recorder.addEventListener("stop", async () => {
    stream.getTracks().forEach((t) => t.stop());
    clearTimeout(stopTimer);
    $("mic").classList.remove("recording");
    $("mic").textContent = "● Say it";
    const blob = new Blob(chunks, {type: recorder.mimeType || "audio/webm"});
    recorder = null;
    $("mic-state").textContent = `Transcribing ${(blob.size / 1024).toFixed(0)} KiB…`;
    try {
      const result = await api("/api/intents/try-audio", {
        method: "POST", headers: {"Content-Type": blob.type}, body: blob,
      });
      $("mic-state").textContent = "";
      if (result.transcript) $("phrase").value = result.transcript;
      showRanking(result);
    } catch (err) { $("mic-state").textContent = err.message; }
  });
  recorder.start();
  $("mic").classList.add("recording");
  $("mic").textContent = "■ Stop";
  $("mic-state").textContent = "Recording… click Stop when done (10 s at most).";
  stopTimer = setTimeout(() => recorder && recorder.stop(), MAX_RECORD_MS);
}

$("mic").addEventListener("click", () => {
  if (recorder) recorder.stop(); else startRecording();
});

// -- not understood lately --------------------------------------------------------------

function suggestionItem(s, index) {
  const options = intents.map((i) => `<option value="${esc(i.name)}"${i.name === s.proposed
    ? " selected" : ""}>${esc(i.name)}${i.name === s.proposed ? ` (likely, ${s.score.toFixed(2)})` : ""}</option>`);
  const none = s.proposed ? "" : `<option value="" selected>New intent? Choose one…</option>`;
  const others = s.members.filter((m) => m.text !== s.example);
  const also = others.length ? `<div class="muted">Also: ${others.map((m) =>
    esc(m.text) + (m.count > 1 ? ` (${m.count}×)` : "")).join("; ")}</div>` : "";
  const actions = s.addable
    ? `<div class="actions"><select aria-label="intent">${none}${options.join("")}</select>
        <button class="add primary" type="button"${s.proposed ? "" : " disabled"}>Add as example</button>
        <button class="try-it" type="button">Try</button></div>`
    : `<div class="muted">Holds personal data or a long number: rephrase it by hand.</div>`;
  return `<div class="suggestion" data-index="${index}">
    <div><span class="times">${s.count}×</span><span class="text">${esc(s.example)}</span></div>
    ${also}${actions}<div class="msg"></div></div>`;
}

let suggestions = [];

async function loadSuggestions() {
  const box = $("suggestions");
  try {
    const data = await api(`/api/intents/suggestions?days=${encodeURIComponent($("days").value)}`);
    suggestions = data.suggestions;
    box.innerHTML = suggestions.length ? suggestions.map(suggestionItem).join("")
      : '<p class="empty">Nothing to suggest: callers were understood.</p>';
  } catch (err) { box.innerHTML = `<p class="msg bad">${esc(err.message)}</p>`; }
}

$("suggestions").addEventListener("change", (e) => {
  const row = e.target.closest(".suggestion");
  if (row && e.target.tagName === "SELECT") row.querySelector(".add").disabled = !e.target.value;
});

$("suggestions").addEventListener("click", async (e) => {
  const row = e.target.closest(".suggestion");
  if (!row) return;
  const s = suggestions[Number(row.dataset.index)];
  if (e.target.classList.contains("try-it")) { tryPhrase(s.example); return; }
  if (!e.target.classList.contains("add")) return;
  const intent = row.querySelector("select").value;
  const msg = row.querySelector(".msg");
  e.target.disabled = true;
  msg.className = "msg";
  msg.textContent = "Adding…";
  try {
    const result = await postJson(`/api/intents/${encodeURIComponent(intent)}/examples`, {text: s.example});
    (added[intent] = added[intent] || []).push(result.text);
    row.classList.add("done");
    msg.className = "msg ok";
    msg.textContent = `Added to ${result.file} (line ${result.line}); ${intent} now has `
      + `${result.examples} examples. ` + (result.status.last_error
        ? "Not reloaded: see the error above."
        : `Reloaded: version ${result.status.version} is live.`);
    row.querySelector(".actions select").remove();
    e.target.remove();  // "Try" stays: see the matcher take it up
    await loadIntents(intent);
  } catch (err) {
    msg.className = "msg bad";
    msg.textContent = (err.status === 409 ? "Already an example: " : "Not added: ") + err.message;
    e.target.disabled = false;
  }
});

$("days").addEventListener("change", loadSuggestions);
$("refresh-suggestions").addEventListener("click", loadSuggestions);

async function loadAll() {
  if (!token()) { $("error").textContent = "Enter the admin token"; return; }
  try { await loadIntents(); } catch (err) { console.warn(err); return; }
  await loadSuggestions();
}

loadAll();
setInterval(pollStatus, 3000);
