"use strict";
// The page of `keras-detect serve`: sends dropped, picked or pasted images to /api/predict
// a few at a time and shows each row the predict command would write, with its extras.

const FILES_PER_REQUEST = 8;
const MULTIPART_MARGIN = 64 * 1024;  // room for the multipart headers around the files

// columns: the predict command's CSV columns, from /api/model.
const state = {limits: null, columns: ["path", "error"], explanations: false, entries: [],
               pasted: 0, queue: Promise.resolve()};
const $ = (selector, root = document) => root.querySelector(selector);

document.addEventListener("DOMContentLoaded", start);

async function start() {
  bindInputs();
  try {
    showModel(await fetchJson("/api/model"));
  } catch (error) {
    $("#model-name").textContent = "unavailable";
    $("#card-text").textContent = `The server did not answer: ${error.message}`;
  }
}

async function fetchJson(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) {
    throw new Error(await errorText(response));
  }
  return response.json();
}

async function errorText(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
  } catch (_) {
    return `HTTP ${response.status}`;
  }
}

function bindInputs() {
  const drop = $("#drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    addFiles(event.dataTransfer.files);
  });
  $("#picker").addEventListener("change", (event) => {
    addFiles(event.target.files);
    event.target.value = "";
  });
  document.addEventListener("paste", (event) => addFiles(pastedFiles(event.clipboardData)));
  $("#heatmaps").addEventListener("change", (event) =>
    $("#results").classList.toggle("hide-heatmaps", !event.target.checked));
  $("#download").addEventListener("click", downloadCsv);
  $("#clear").addEventListener("click", clearAll);
}

function pastedFiles(clipboard) {
  // Pasted images are all called image.png; number them so the rows can be told apart.
  return Array.from(clipboard ? clipboard.files : []).map((file) => {
    state.pasted += 1;
    const suffix = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return new File([file], `pasted-${state.pasted}.${suffix}`, {type: file.type});
  });
}

function showModel(model) {
  state.limits = model.limits;
  state.columns = model.columns;
  state.explanations = model.explanations;
  $("#model-name").textContent = model.card.name;
  $("#card-text").replaceChildren(...markdownToNodes(model.markdown));
  if (!model.explanations) {
    $("#heatmap-toggle").hidden = true;
  }
}

// Files -----------------------------------------------------------------------------------

function addFiles(fileList) {
  const files = Array.from(fileList || []);
  if (!files.length) {
    return;
  }
  const entries = files.map(newEntry);
  state.entries.push(...entries);
  const limits = state.limits || {max_file_bytes: Infinity, max_request_bytes: Infinity};
  const toSend = [];
  for (const entry of entries) {
    if (entry.file.size > limits.max_file_bytes) {
      finish(entry, errorRow(entry.file.name, `file too large (over ` +
        `${limits.max_file_bytes.toLocaleString("en")} bytes, the limit)`));
    } else {
      toSend.push(entry);
    }
  }
  for (const group of groups(toSend, limits.max_request_bytes - MULTIPART_MARGIN)) {
    // One request at a time from this page: the server scores one at a time anyway.
    state.queue = state.queue.then(() => send(group));
  }
  updateControls();
}

function groups(entries, maxBytes) {
  const result = [];
  let current = [];
  let bytes = 0;
  for (const entry of entries) {
    const full = current.length >= FILES_PER_REQUEST || bytes + entry.file.size > maxBytes;
    if (current.length && full) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.file.size;
  }
  return current.length ? result.concat([current]) : result;
}

async function send(group) {
  setStatus(`Checking ${pendingCount()} image(s)…`);
  const form = new FormData();
  for (const entry of group) {
    form.append("files", entry.file, entry.file.name);
  }
  const explain = state.explanations ? "true" : "false";
  try {
    const body = await fetchJson(`/api/predict?explain=${explain}`, {method: "POST", body: form});
    group.forEach((entry, i) => finish(entry, body.rows[i]));
  } catch (error) {
    group.forEach((entry) => finish(entry, errorRow(entry.file.name, error.message)));
  }
  setStatus(pendingCount() ? `Checking ${pendingCount()} image(s)…` : "");
}

function errorRow(name, message) {
  const row = Object.fromEntries(state.columns.map((column) => [column, ""]));
  return {...row, path: name, probability: null, threshold: null, signed: false, error: message};
}

function pendingCount() {
  return state.entries.filter((entry) => !entry.row).length;
}

function setStatus(text) {
  $("#status").textContent = text;
}

function updateControls() {
  $("#download").disabled = !state.entries.some((entry) => entry.row);
  $("#clear").disabled = !state.entries.length;
}

function clearAll() {
  for (const entry of state.entries) {
    URL.revokeObjectURL(entry.thumbnail);
    entry.element.remove();
    entry.tableRow.remove();
  }
  state.entries = [];
  updateControls();
}

// Showing a result ------------------------------------------------------------------------

function newEntry(file) {
  const element = $("#result-template").content.firstElementChild.cloneNode(true);
  const entry = {file, element, row: null, thumbnail: URL.createObjectURL(file),
                 tableRow: document.createElement("tr")};
  $(".name", element).textContent = file.name;
  const thumb = $(".thumb", element);
  // Formats the browser cannot show (TIFF, for one, or a broken file): no empty frame.
  thumb.addEventListener("error", () => { thumb.parentElement.hidden = true; }, {once: true});
  thumb.src = entry.thumbnail;
  $(".verdict", element).textContent = "checking…";
  $(".verdict", element).className = "verdict pending";
  element.querySelectorAll(".explain, .generators, .declared").forEach((node) => { node.hidden = true; });
  $("#results").append(element);
  $("#table tbody").append(entry.tableRow);
  return entry;
}

function finish(entry, row) {
  entry.row = row;
  const element = entry.element;
  const verdict = verdictOf(row);
  const verdictNode = $(".verdict", element);
  verdictNode.textContent = row.error ? "could not be checked" : verdict;
  verdictNode.className = `verdict ${row.error ? "failed" : verdict}`;
  $(".score", element).textContent = row.error ? "" : scoreText(row);
  $(".error", element).textContent = row.error || "";
  showGenerators(element, row);
  showExplanation(element, row);
  showDeclared(element, row);
  fillTableRow(entry.tableRow, row);
  updateControls();
}

function verdictOf(row) {
  return row.verdict || row.label;
}

function scoreText(row) {
  const text = `Probability of synthetic ${row.probability.toFixed(3)} ` +
    `(called synthetic at ${row.threshold.toFixed(3)} or above)`;
  // Uncertain: too near the threshold, or parts of the image disagree; say which way it leans.
  return verdictOf(row) === "uncertain" && row.label ? `${text}; it leans ${row.label}.` : text;
}

function showGenerators(element, row) {
  const names = row.generators && row.generators.length ? row.generators
    : (row.generator ? [{name: row.generator, probability: null}] : []);
  const list = $(".generators ol", element);
  list.replaceChildren(...names.map(({name, probability}) => {
    const item = document.createElement("li");
    item.textContent = probability === null ? name : `${name} (${(100 * probability).toFixed(1)}%)`;
    return item;
  }));
  $(".generators", element).hidden = !names.length || Boolean(row.error);
}

function showExplanation(element, row) {
  const shown = Boolean(row.overlay);
  if (shown) {
    $(".crop", element).src = row.crop;
    $(".overlay", element).src = row.overlay;
  }
  element.querySelectorAll(".explain").forEach((node) => { node.hidden = !shown; });
}

function showDeclared(element, row) {
  $(".declared", element).hidden = Boolean(row.error);
  $(".declared-text", element).textContent = declaredText(row);
  $(".disagreement", element).textContent = row.disagreement || "";
}

function declaredText(row) {
  if (!row.declared || row.declared === "none") {
    return "The file says nothing about its origin. (The verdict above comes from the pixels only.)";
  }
  const by = row.declared_by ? ` (${row.declared_by})` : "";
  const backing = row.signed ? "backed by a valid C2PA signature"
    : "unsigned: anyone can write or remove this";
  const what = row.declared === "synthetic" ? "generated" : `a ${row.declared} capture`;
  return `The file declares it is ${what}${by}, ${backing}. The verdict above comes from the ` +
    "pixels only.";
}

function fillTableRow(tableRow, row) {
  const verdict = row.error ? "error" : verdictOf(row);
  const cells = [row.path, verdict, row.error ? "" : row.probability.toFixed(4),
                 row.error ? "" : row.threshold.toFixed(4), row.generator || "",
                 [row.declared, row.declared_by].filter(Boolean).join(": "),
                 row.signed ? "yes" : "", row.error || row.disagreement || ""];
  tableRow.replaceChildren(...cells.map((text, i) => {
    const cell = document.createElement("td");
    cell.textContent = text;
    if (i === 1) { cell.className = verdict; }
    return cell;
  }));
}

// CSV and model card ----------------------------------------------------------------------

async function downloadCsv() {
  const rows = state.entries.filter((entry) => entry.row).map((entry) =>
    Object.fromEntries(state.columns.map((column) => [column, entry.row[column]])));
  try {
    const response = await fetch("/api/csv", {method: "POST", body: JSON.stringify({rows}),
                                              headers: {"Content-Type": "application/json"}});
    if (!response.ok) { throw new Error(await errorText(response)); }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = "keras-detect.csv";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (error) {
    setStatus(`Download failed: ${error.message}`);
  }
}

function markdownToNodes(markdown) {
  // The card is headings, bullet lists and `code`: that much Markdown, safely as DOM nodes.
  const nodes = [];
  let list = null;
  for (const line of markdown.split("\n")) {
    const heading = line.match(/^(#+)\s+(.*)$/);
    if (line.startsWith("- ")) {
      list = list || nodes[nodes.push(document.createElement("ul")) - 1];
      list.append(inline("li", line.slice(2)));
      continue;
    }
    list = null;
    if (heading) {
      nodes.push(inline(`h${Math.min(heading[1].length + 2, 6)}`, heading[2]));
    } else if (line.trim()) {
      nodes.push(inline("p", line));
    }
  }
  return nodes;
}

function inline(tag, text) {
  const node = document.createElement(tag);
  text.split("`").forEach((part, i) => {
    if (i % 2) {
      const code = document.createElement("code");
      code.textContent = part;
      node.append(code);
    } else {
      node.append(part);
    }
  });
  return node;
}
