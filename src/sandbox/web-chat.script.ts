// Over 250 lines on purpose: one browser script, served inline as one string (no bundler, no modules in the page).
/**
 * The playground's browser code (plain ES2020, no modules), inlined into the page by web-chat.page.ts. It keeps no
 * chat state of its own: the sandbox holds every chat's history; the page re-reads a chat when its event stream says
 * something changed, and re-reads everything when the stream (re)connects.
 */
export function webChatScript(): string {
  return String.raw`
'use strict';
const $ = (id) => document.getElementById(id);
const qs = new URLSearchParams(location.search);
const ACTIONS = { typing: 'typing…', upload_photo: 'sending photo…', record_voice: 'recording voice…', upload_voice: 'sending voice…',
  upload_document: 'sending file…', record_video: 'recording video…', upload_video: 'sending video…', record_video_note: 'recording video message…',
  upload_video_note: 'sending video message…', choose_sticker: 'choosing a sticker…', find_location: 'finding location…' };
const S = { token: qs.get('token') || localStorage.getItem('sandboxToken') || '', users: [], userId: Number(localStorage.getItem('sandboxUser')) || 0,
  history: [], commands: [], adminId: null, es: null, connected: false, action: null, actionTimer: 0, pending: new Set(), unread: {}, cache: new Map(), reload: 0 };
$('token').value = S.token;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const base = () => '/sandbox/' + encodeURIComponent(S.token);
const fileUrl = (id) => base() + '/files/' + encodeURIComponent(id);
function showError(e) { $('err').textContent = e ? String(e.message || e) : ''; }

async function api(path, body, form) {
  const init = form ? { method: 'POST', body: form } : body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(base() + path, init);
  let data;
  try { data = await res.json(); } catch (e) { throw new Error('the sandbox answered ' + res.status + ' ' + res.statusText); }
  if (!data.ok) throw new Error(data.description || 'request failed');
  return data.result;
}
const me = () => S.users.find((u) => u.id === S.userId);

// ---- users -------------------------------------------------------------------------------------------------------
function renderUsers() {
  $('users').innerHTML = S.users.map((u) => {
    const unread = S.unread[u.id] ? '<span class="badge" aria-label="' + S.unread[u.id] + ' unread">' + S.unread[u.id] + '</span>' : '';
    const admin = u.id === S.adminId ? ' · admin' : '';
    return '<li><button type="button" data-user="' + u.id + '" aria-current="' + (u.id === S.userId) + '">' +
      '<span class="ava" aria-hidden="true">' + esc((u.first_name || '?').slice(0, 1).toUpperCase()) + '</span>' +
      '<span><span class="nm">' + esc(u.first_name) + '</span><br><span class="sub">' + u.id + ' · ' + esc(u.language_code || '') + admin + (u.blocked ? ' · blocked' : '') + '</span></span>' + unread + '</button></li>';
  }).join('');
  $('adminBtn').hidden = !S.adminId || !S.token;
  $('adminBtn').textContent = S.users.some((u) => u.id === S.adminId) ? 'Switch to the admin user' : 'New admin user';
}
async function loadUsers() {
  S.users = await api('/users');
  if (!S.users.some((u) => u.id === S.userId)) S.userId = S.users.length ? S.users[S.users.length - 1].id : 0;
  renderUsers();
}
async function selectUser(id) {
  S.userId = id;
  localStorage.setItem('sandboxUser', String(id));
  delete S.unread[id];
  S.cache.clear();
  setAction(null);
  renderUsers();
  await Promise.all([loadHistory(), loadCommands(), loadActions()]);
  $('text').focus();
}
async function createUser(opts) {
  const u = await api('/users', opts);
  await loadUsers();
  await selectUser(u.id);
}

// ---- history and rendering ---------------------------------------------------------------------------------------
async function loadHistory() {
  if (!S.userId) { S.history = []; return render(); }
  const id = S.userId;
  const history = await api('/chats/' + id + '/history');
  if (id === S.userId) { S.history = history; render(); }
}
function scheduleHistory() {
  clearTimeout(S.reload);
  S.reload = setTimeout(() => loadHistory().catch(showError), 40);
}
const time = (m) => new Date(m.date * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const size = (n) => n === undefined ? '' : n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
const clock = (s) => Math.floor((s || 0) / 60) + ':' + String((s || 0) % 60).padStart(2, '0');

/** Telegram's HTML subset, everything else as text (the sandbox stores text as the bot sent it). */
function safeHtml(text) {
  const tpl = document.createElement('template');
  tpl.innerHTML = text;
  const ok = { B: 'b', STRONG: 'b', I: 'i', EM: 'i', U: 'u', INS: 'u', S: 's', STRIKE: 's', DEL: 's', CODE: 'code', PRE: 'pre', A: 'a', BLOCKQUOTE: 'blockquote', 'TG-SPOILER': 'span', SPAN: 'span' };
  const walk = (node) => Array.from(node.childNodes).map((n) => {
    if (n.nodeType === 3) return esc(n.nodeValue);
    if (n.nodeType !== 1) return '';
    const tag = ok[n.tagName];
    if (!tag) return walk(n);
    const href = tag === 'a' ? n.getAttribute('href') || '' : '';
    const attr = tag === 'a' && /^(https?:|tg:)/i.test(href) ? ' href="' + esc(href) + '" target="_blank" rel="noopener"' : '';
    return '<' + tag + attr + '>' + walk(n) + '</' + tag + '>';
  }).join('');
  return walk(tpl.content);
}
function textHtml(text, mode) {
  let html = mode && mode.toLowerCase() === 'html' ? safeHtml(text) : esc(mode && mode.toLowerCase() === 'markdownv2' ? text.replace(/\\([_*\[\]()~>#+\-=|{}.!\\])/g, '$1') : text);
  html = html.replace(/(^|[\s(])(https?:\/\/[^\s<]+)/g, (m, pre, url) => pre + '<a href="' + url + '" target="_blank" rel="noopener">' + url + '</a>');
  return html.replace(/(^|\s)(\/[A-Za-z0-9_]{1,32})(?=$|[\s.,!?;:)])/g, (m, pre, cmd) => pre + '<a href="#" class="cmd" data-cmd="' + cmd + '">' + cmd + '</a>');
}
function mediaHtml(m) {
  if (m.photo && m.photo.length) {
    const p = m.photo[m.photo.length - 1];
    return '<img src="' + fileUrl(p.file_id) + '" alt="photo ' + p.width + '×' + p.height + '" width="' + p.width + '" height="' + p.height + '" style="width:auto;height:auto">';
  }
  if (m.voice) return '<div class="voice">🎤 voice ' + clock(m.voice.duration) + '</div><audio controls preload="metadata" src="' + fileUrl(m.voice.file_id) + '" aria-label="voice message"></audio>';
  if (m.audio) return '<div>🎵 ' + esc(m.audio.title || m.audio.file_name || 'audio') + ' ' + clock(m.audio.duration) + '</div><audio controls preload="metadata" src="' + fileUrl(m.audio.file_id) + '" aria-label="audio"></audio>';
  if (m.video_note) return '<video class="note" controls preload="metadata" src="' + fileUrl(m.video_note.file_id) + '" aria-label="video message"></video>';
  if (m.video) return '<video controls preload="metadata" src="' + fileUrl(m.video.file_id) + '" aria-label="video"></video>';
  if (m.document) {
    const d = m.document;
    const name = d.file_name || 'file';
    return '<a class="file" href="' + fileUrl(d.file_id) + '" download="' + esc(name) + '"><span class="ico" aria-hidden="true">📄</span><span><span class="fname">' + esc(name) + '</span><br><small>' + esc(size(d.file_size)) + (d.mime_type ? ' · ' + esc(d.mime_type) : '') + '</small></span></a>';
  }
  return '';
}
function invoiceHtml(m) {
  const inv = m.invoice;
  const price = inv.currency === 'XTR' ? '⭐ ' + inv.total_amount : (inv.total_amount / 100).toFixed(2) + ' ' + esc(inv.currency);
  const c = m.checkout;
  const state = !c ? '' : c.status === 'paid' ? '<div class="state paid">✓ Paid</div>'
    : '<div class="state refused">Payment refused: ' + esc(c.error_message || '') + '</div>';
  const pay = c && c.status === 'paid' || m.deleted ? '' : '<div class="kb"><button type="button" data-pay="' + m.message_id + '">Pay ' + price + '</button></div>';
  return '<div class="invoice"><div class="title">' + esc(inv.title) + '</div><div class="desc">' + esc(inv.description) + '</div><div class="price">' + price + '</div>' + state + pay + '</div>';
}
function inlineKb(m) {
  const rows = m.deleted ? [] : (m.reply_markup && m.reply_markup.inline_keyboard) || [];
  return rows.map((r) => '<div class="kb">' + r.map((b) => b.callback_data !== undefined
    ? '<button type="button" data-msg="' + m.message_id + '" data-cb="' + esc(b.callback_data) + '">' + esc(b.text) + '</button>'
    : b.url ? '<a href="' + esc(b.url) + '" target="_blank" rel="noopener">' + esc(b.text) + ' ↗</a>'
    : '<button type="button" disabled>' + esc(b.text) + '</button>').join('') + '</div>').join('');
}
function bubble(list) {
  const m = list[0];
  const mine = !m.outgoing;
  const sp = m.message.successful_payment;
  if (sp) {
    return '<div class="service" data-id="' + m.message_id + '">' + (mine ? 'You paid ' : 'Payment of ') + (sp.currency === 'XTR' ? '⭐ ' + sp.total_amount : sp.total_amount + ' ' + esc(sp.currency)) + '</div>';
  }
  const media = list.length > 1 ? '<div class="album">' + list.map(mediaHtml).join('') + '</div>' : mediaHtml(m);
  const captioned = list.find((x) => x.caption);
  const text = m.text !== undefined ? m.text : captioned ? captioned.caption : '';
  const body = m.invoice ? invoiceHtml(m) : media + (text ? '<div class="txt">' + textHtml(text, m.parse_mode) + '</div>' : '');
  const unknown = !body ? '<div class="txt"><i>[' + esc(Object.keys(m.message).filter((k) => !['message_id', 'from', 'chat', 'date'].includes(k)).join(', ') || 'message') + ']</i></div>' : '';
  const meta = '<span class="meta">' + (m.deleted ? 'deleted · ' : m.edited ? 'edited · ' : '') + time(m) + '</span>';
  const ids = list.map((x) => x.message_id).join(' ');
  return '<div class="row ' + (mine ? 'me' : 'bot') + '" data-id="' + ids + '"><div class="b' + (m.deleted ? ' del' : '') + '">' + body + unknown + meta + '</div></div>' +
    (!m.invoice && inlineKb(m) ? '<div class="row bot"><div class="inline-kb">' + inlineKb(m) + '</div></div>' : '');
}
function render() {
  const log = $('log');
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  if (!S.token || !S.userId) {
    log.innerHTML = '<div class="empty">' + (S.token ? 'Create a user on the left to start chatting.' : 'Open the link npm start printed, or paste the bot token on the left.') + '</div>';
    S.cache.clear();
    return renderReplyKb();
  }
  const groups = [];
  for (const m of S.history) {
    const last = groups[groups.length - 1];
    if (m.media_group_id && last && last[0].media_group_id === m.media_group_id) last.push(m); else groups.push([m]);
  }
  const next = new Map();
  const nodes = groups.map((g) => {
    const key = g.map((m) => m.message_id).join('-');
    const html = bubble(g);
    const old = S.cache.get(key);
    let el;
    if (old && old.html === html) el = old.el; else { el = document.createElement('div'); el.className = 'item'; el.dataset.key = key; el.innerHTML = html; }
    next.set(key, { html, el });
    return el;
  });
  if (!nodes.length) { const e = document.createElement('div'); e.className = 'empty'; e.textContent = 'No messages yet. Send /start.'; nodes.push(e); }
  S.cache = next;
  log.replaceChildren(...nodes);
  if (nearBottom) {
    log.scrollTop = log.scrollHeight;
    // Pictures still loading grow the chat after this: keep the newest message in view once each has its size.
    for (const img of log.querySelectorAll('img')) {
      if (!img.complete) img.addEventListener('load', () => { log.scrollTop = log.scrollHeight; }, { once: true });
    }
  }
  renderReplyKb();
}

// ---- reply keyboard (ReplyKeyboardMarkup / ReplyKeyboardRemove, from the bot's last word on it) ------------------
function currentReplyKb() {
  let kb = null;
  let at = -1;
  S.history.forEach((m, i) => {
    const rm = m.outgoing && m.reply_markup;
    if (!rm) return;
    if (Array.isArray(rm.keyboard)) { kb = rm; at = i; } else if (rm.remove_keyboard) kb = null;
  });
  if (kb && kb.one_time_keyboard && S.history.slice(at + 1).some((m) => !m.outgoing)) return null;
  return kb;
}
function renderReplyKb() {
  const kb = S.userId ? currentReplyKb() : null;
  $('replyKb').hidden = !kb;
  $('replyKb').innerHTML = !kb ? '' : kb.keyboard.map((row) => '<div class="kbrow">' + row.map((b) => {
    const t = typeof b === 'string' ? b : b.text;
    return '<button type="button" data-reply="' + esc(t) + '">' + esc(t) + '</button>';
  }).join('') + '</div>').join('');
  if (kb && kb.input_field_placeholder) $('text').placeholder = kb.input_field_placeholder; else $('text').placeholder = 'Message';
}

// ---- commands ----------------------------------------------------------------------------------------------------
async function loadCommands() {
  const u = me();
  S.commands = u ? await api('/commands?chat_id=' + u.id + (u.language_code ? '&language_code=' + encodeURIComponent(u.language_code) : '')) : [];
  $('cmdBtn').hidden = S.commands.length === 0;
  $('cmdMenu').innerHTML = S.commands.map((c) => '<button type="button" role="menuitem" data-cmd="/' + esc(c.command) + '"><b>/' + esc(c.command) + '</b>' + esc(c.description) + '</button>').join('');
  if (!S.commands.length) toggleMenu(false);
}
function toggleMenu(open) {
  $('cmdMenu').hidden = !open;
  $('cmdBtn').setAttribute('aria-expanded', String(open));
  if (open) { const first = $('cmdMenu').querySelector('button'); if (first) first.focus(); }
}

// ---- chat actions ------------------------------------------------------------------------------------------------
function setAction(action, at) {
  clearTimeout(S.actionTimer);
  const left = action ? 5000 - (Date.now() - (at || Date.now())) : 0;
  S.action = left > 0 ? action : null;
  const st = $('status');
  st.textContent = !S.connected ? 'connecting…' : S.action ? (ACTIONS[S.action] || S.action + '…') : 'bot';
  st.className = S.action ? 'busy' : '';
  if (left > 0) S.actionTimer = setTimeout(() => setAction(null), left);
}
async function loadActions() {
  if (!S.userId) return;
  const list = await api('/chats/' + S.userId + '/actions');
  const last = list[list.length - 1];
  if (last) setAction(last.action, last.at);
}

// ---- sending -----------------------------------------------------------------------------------------------------
async function sendText(text) {
  if (!S.userId) throw new Error('create a user first');
  await api('/users/' + S.userId + '/text', { text });
}
function imageSize(file) {
  return new Promise((resolve) => {
    const img = new Image();
    const url = URL.createObjectURL(file);
    img.onload = () => { URL.revokeObjectURL(url); resolve({ width: img.naturalWidth, height: img.naturalHeight }); };
    img.onerror = () => { URL.revokeObjectURL(url); resolve(null); };
    img.src = url;
  });
}
async function sendFile(file, forced) {
  if (!S.userId) throw new Error('create a user first');
  const type = file.type || '';
  let kind = forced || 'document';
  if (!forced) {
    if (/^image\/(jpeg|png|webp)$/.test(type)) kind = 'photo';
    else if (type.startsWith('audio/')) kind = $('asVoice').checked ? 'voice' : 'audio';
    else if (type.startsWith('video/')) kind = $('asNote').checked ? 'video_note' : 'video';
  }
  const form = new FormData();
  form.append('kind', kind);
  if (kind === 'voice') form.append('convert', 'true');
  else if (kind !== 'photo' && kind !== 'document') form.append('probe', 'true');
  if (kind === 'photo') {
    const dims = await imageSize(file);
    if (dims) { form.append('width', String(dims.width)); form.append('height', String(dims.height)); }
  }
  if (file.name && kind !== 'voice') form.append('file_name', file.name);
  if (type && kind !== 'voice') form.append('mime_type', type);
  const caption = $('text').value.trim();
  if (caption && kind !== 'video_note') { form.append('caption', caption); $('text').value = ''; }
  form.append('file', file, file.name || 'file');
  await api('/users/' + S.userId + '/media', undefined, form);
}
async function sendFiles(files) {
  showError('');
  for (const f of Array.from(files)) await sendFile(f);
}

// ---- voice recording (MediaRecorder; the sandbox turns WebM into OGG/Opus with ffmpeg) ------------------------------
let recorder = null;
async function toggleRecording() {
  const mic = $('mic');
  if (recorder) { recorder.stop(); return; }
  if (!S.userId) throw new Error('create a user first');
  if (!navigator.mediaDevices || !window.MediaRecorder) throw new Error('this browser cannot record audio here');
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mime = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((t) => MediaRecorder.isTypeSupported(t));
  const rec = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
  const chunks = [];
  const started = Date.now();
  rec.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
  rec.onstop = () => {
    stream.getTracks().forEach((t) => t.stop());
    recorder = null;
    mic.setAttribute('aria-pressed', 'false');
    mic.setAttribute('aria-label', 'Record a voice message');
    const blob = new Blob(chunks, { type: rec.mimeType || 'audio/webm' });
    if (Date.now() - started < 300 || !blob.size) return showError('the recording was too short');
    sendFile(new File([blob], 'voice.webm', { type: blob.type }), 'voice').catch(showError);
  };
  rec.start(250);
  recorder = rec;
  mic.setAttribute('aria-pressed', 'true');
  mic.setAttribute('aria-label', 'Stop recording and send');
}

// ---- live updates ------------------------------------------------------------------------------------------------
function connect() {
  if (S.es) S.es.close();
  S.connected = false;
  setAction(S.action);
  if (!S.token) return;
  const es = new EventSource(base() + '/events');
  S.es = es;
  es.addEventListener('ready', () => { S.connected = true; reloadAll().catch(showError); });
  es.onerror = () => {
    S.connected = false;
    setAction(S.action);
    // A refused stream (an HTTP error) is not retried by EventSource itself.
    if (es.readyState === EventSource.CLOSED) setTimeout(() => { if (S.es === es) connect(); }, 2000);
  };
  const onChat = (e) => {
    const ev = JSON.parse(e.data);
    if (ev.chat_id !== S.userId) {
      if (ev.type === 'message') { S.unread[ev.chat_id] = (S.unread[ev.chat_id] || 0) + 1; if (!S.users.some((u) => u.id === ev.chat_id)) loadUsers().catch(showError); else renderUsers(); }
      return;
    }
    if (ev.type === 'message' && S.action) setAction(null);
    scheduleHistory();
  };
  for (const t of ['message', 'edit', 'delete']) es.addEventListener(t, onChat);
  es.addEventListener('action', (e) => { const ev = JSON.parse(e.data); if (ev.chat_id === S.userId) setAction(ev.action, ev.at); });
  es.addEventListener('commands', () => loadCommands().catch(showError));
  es.addEventListener('reset', () => reloadAll().catch(showError));
  es.addEventListener('callback_answer', (e) => {
    const ev = JSON.parse(e.data);
    if (!S.pending.delete(ev.callback_query_id)) return;
    if (ev.url) window.open(ev.url, '_blank', 'noopener');
    if (ev.text) toast(ev.text, ev.show_alert);
  });
}
async function reloadAll() {
  const [config, bot] = await Promise.all([fetch('/sandbox/config').then((r) => r.json()).catch(() => null), api('/me')]);
  S.adminId = config && config.ok ? config.result.admin_id : null;
  $('botName').textContent = bot.first_name + (bot.username ? ' (@' + bot.username + ')' : '');
  document.title = bot.first_name + ' — Switchyard playground';
  await loadUsers();
  S.cache.clear();
  await Promise.all([loadHistory(), loadCommands(), loadActions()]);
  setAction(S.action);
}
let toastTimer = 0;
function toast(text, sticky) {
  const t = $('toast');
  t.innerHTML = esc(text) + (sticky ? '<button type="button" id="toastOk">OK</button>' : '');
  t.hidden = false;
  clearTimeout(toastTimer);
  if (sticky) $('toastOk').focus(); else toastTimer = setTimeout(() => { t.hidden = true; }, 2500);
}

// ---- wiring ------------------------------------------------------------------------------------------------------
const guard = (fn) => (...args) => Promise.resolve().then(() => fn(...args)).catch(showError);
$('token').addEventListener('change', guard(() => {
  S.token = $('token').value.trim();
  localStorage.setItem('sandboxToken', S.token);
  S.history = []; S.users = []; render(); connect();
}));
$('newUser').addEventListener('submit', guard(async (ev) => {
  ev.preventDefault();
  if (!S.token) throw new Error('paste the bot token first');
  await createUser({ first_name: $('name').value.trim() || 'Test', language_code: $('lang').value });
  $('name').value = '';
}));
$('adminBtn').addEventListener('click', guard(async () => {
  if (S.users.some((u) => u.id === S.adminId)) return selectUser(S.adminId);
  await createUser({ id: S.adminId, first_name: 'Admin', language_code: $('lang').value });
}));
$('users').addEventListener('click', guard(async (ev) => {
  const b = ev.target.closest('button[data-user]');
  if (b) await selectUser(Number(b.dataset.user));
}));
$('composer').addEventListener('submit', guard(async (ev) => {
  ev.preventDefault();
  const text = $('text').value;
  if (!text.trim()) return;
  await sendText(text);
  $('text').value = '';
  showError('');
}));
$('cmdBtn').addEventListener('click', () => toggleMenu($('cmdMenu').hidden));
$('cmdMenu').addEventListener('click', guard(async (ev) => {
  const b = ev.target.closest('button[data-cmd]');
  if (!b) return;
  toggleMenu(false);
  $('text').focus();
  await sendText(b.dataset.cmd);
}));
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && !$('cmdMenu').hidden) { toggleMenu(false); $('cmdBtn').focus(); }
  if (ev.key === 'Escape' && !$('toast').hidden) $('toast').hidden = true;
});
$('text').addEventListener('input', () => { if ($('text').value === '/' && S.commands.length) toggleMenu(true); });
$('attach').addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); $('file').click(); } });
$('file').addEventListener('change', guard(async () => {
  const files = Array.from($('file').files || []);
  $('file').value = '';
  await sendFiles(files);
}));
$('mic').addEventListener('click', guard(toggleRecording));
$('toast').addEventListener('click', (ev) => { if (ev.target.id === 'toastOk') $('toast').hidden = true; });
$('replyKb').addEventListener('click', guard(async (ev) => {
  const b = ev.target.closest('button[data-reply]');
  if (b) await sendText(b.dataset.reply);
}));
$('log').addEventListener('click', guard(async (ev) => {
  const cmd = ev.target.closest('a.cmd');
  if (cmd) { ev.preventDefault(); return sendText(cmd.dataset.cmd); }
  const b = ev.target.closest('button');
  if (!b || b.disabled) return;
  if (b.dataset.pay) {
    b.disabled = true;
    b.textContent = 'Paying…';
    const r = await api('/users/' + S.userId + '/pay', { message_id: Number(b.dataset.pay) }).finally(scheduleHistory);
    if (!r.ok) toast('Payment refused: ' + (r.error_message || ''), false);
  } else if (b.dataset.cb !== undefined) {
    const r = await api('/users/' + S.userId + '/press', { message_id: Number(b.dataset.msg), data: b.dataset.cb });
    S.pending.add(r.callbackQueryId);
  }
}));
const chat = $('chat');
let dragDepth = 0;
chat.addEventListener('dragenter', (ev) => { if (ev.dataTransfer && Array.from(ev.dataTransfer.types || []).includes('Files')) { dragDepth++; $('drop').hidden = false; } });
chat.addEventListener('dragleave', () => { dragDepth = Math.max(0, dragDepth - 1); if (!dragDepth) $('drop').hidden = true; });
chat.addEventListener('dragover', (ev) => { ev.preventDefault(); if (ev.dataTransfer) ev.dataTransfer.dropEffect = 'copy'; });
chat.addEventListener('drop', guard(async (ev) => {
  ev.preventDefault();
  dragDepth = 0;
  $('drop').hidden = true;
  const files = ev.dataTransfer ? ev.dataTransfer.files : [];
  if (files && files.length) await sendFiles(files);
}));
render();
connect();
`;
}
