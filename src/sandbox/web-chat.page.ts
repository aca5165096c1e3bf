/**
 * A tiny chat UI served at GET / so a human can talk to a bot running against the sandbox.
 * Plain HTML + inline JS talking to the control API; it polls instead of using websockets
 * to stay dependency- and build-free.
 */
export function webChatPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Telegram sandbox</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;display:flex;flex-direction:column;height:100vh;background:#eef1f4}
header{padding:8px;background:#2b5278;color:#fff;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
header input,header select{padding:4px}
#log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px}
.m{max-width:70%;padding:6px 10px;border-radius:10px;white-space:pre-wrap;word-break:break-word}
.in{align-self:flex-start;background:#fff}.out{align-self:flex-end;background:#d9fdd3}
.del{opacity:.4;text-decoration:line-through}.meta{font-size:11px;color:#789}
.kb button{margin:3px 3px 0 0}
form{display:flex;padding:8px;gap:6px;background:#fff}form input{flex:1;padding:8px}
#err{color:#b00;padding:0 8px}
</style></head><body>
<header>
  <label>Bot token <input id="token" size="48" placeholder="123456:ABC..."></label>
  <select id="users"></select>
  <input id="name" placeholder="first name" size="10"><button id="new">New user</button>
  <span id="action"></span>
</header>
<div id="err"></div>
<div id="log"></div>
<form id="f"><input id="text" placeholder="Message or /command" autocomplete="off"><button>Send</button></form>
<script>
const $ = (id) => document.getElementById(id);
const qs = new URLSearchParams(location.search);
$('token').value = qs.get('token') || localStorage.getItem('sandboxToken') || '';
let userId = Number(localStorage.getItem('sandboxUser')) || 0;
let lastRender = '';

async function api(path, body) {
  const token = $('token').value.trim();
  const res = await fetch('/sandbox/' + encodeURIComponent(token) + path, body === undefined ? {} :
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json();
  if (!data.ok) throw new Error(data.description);
  return data.result;
}
function show(err) { $('err').textContent = err ? String(err.message || err) : ''; }
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

async function loadUsers() {
  localStorage.setItem('sandboxToken', $('token').value.trim());
  const users = await api('/users');
  $('users').innerHTML = users.map((u) =>
    '<option value="' + u.id + '">' + esc(u.first_name + ' (' + u.id + ')' + (u.blocked ? ' blocked' : '')) + '</option>').join('');
  if (!users.some((u) => u.id === userId)) userId = users[0] ? users[0].id : 0;
  $('users').value = String(userId);
}

function render(history) {
  return history.map((m) => {
    const body = m.text ?? m.caption ?? (m.photo ? '[photo]' : m.document ? '[document ' + (m.document.file_name || '') + ']'
      : m.invoice ? '[invoice] ' + m.invoice.title + ' - ' + m.invoice.total_amount + ' ' + m.invoice.currency
      : m.message.successful_payment ? '[paid ' + m.message.successful_payment.total_amount + ']' : '[' + Object.keys(m.message).pop() + ']');
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    const kb = m.deleted ? '' : rows.map((r) => '<div class="kb">' + r.map((b) => b.callback_data !== undefined
      ? '<button data-msg="' + m.message_id + '" data-cb="' + esc(b.callback_data) + '">' + esc(b.text) + '</button>'
      : b.url ? '<a href="' + esc(b.url) + '" target="_blank">' + esc(b.text) + '</a>' : esc(b.text)).join('') + '</div>').join('');
    const pay = m.invoice && !m.deleted ? '<div class="kb"><button data-pay="' + m.message_id + '">Pay</button></div>' : '';
    const meta = '#' + m.message_id + (m.edited ? ' edited' : '') + (m.parse_mode ? ' ' + m.parse_mode : '');
    return '<div class="m ' + (m.outgoing ? 'in' : 'out') + (m.deleted ? ' del' : '') + '">' + esc(body) + kb + pay +
      '<div class="meta">' + meta + '</div></div>';
  }).join('');
}

async function refresh() {
  if (!userId || !$('token').value.trim()) return;
  try {
    const [history, actions] = await Promise.all([api('/chats/' + userId + '/history'), api('/chats/' + userId + '/actions')]);
    const html = render(history);
    if (html !== lastRender) {
      lastRender = html;
      $('log').innerHTML = html;
      $('log').scrollTop = $('log').scrollHeight;
    }
    const last = actions[actions.length - 1];
    $('action').textContent = last && Date.now() - last.at < 5000 ? 'bot is ' + last.action + '…' : '';
    show('');
  } catch (e) { show(e); }
}

$('token').addEventListener('change', () => loadUsers().catch(show));
$('users').addEventListener('change', () => { userId = Number($('users').value); localStorage.setItem('sandboxUser', userId); lastRender = ''; refresh(); });
$('new').addEventListener('click', async () => {
  try {
    const u = await api('/users', { first_name: $('name').value || 'Test' });
    userId = u.id; localStorage.setItem('sandboxUser', userId);
    await loadUsers(); refresh();
  } catch (e) { show(e); }
});
$('f').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const text = $('text').value;
  if (!text || !userId) return;
  try { await api('/users/' + userId + '/text', { text }); $('text').value = ''; refresh(); } catch (e) { show(e); }
});
$('log').addEventListener('click', async (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  try {
    if (b.dataset.pay) {
      const r = await api('/users/' + userId + '/pay', { message_id: Number(b.dataset.pay) });
      if (!r.ok) show('payment refused: ' + r.error_message);
    } else {
      const { callbackQueryId } = await api('/users/' + userId + '/press', { message_id: Number(b.dataset.msg), data: b.dataset.cb });
      setTimeout(async () => {
        const a = await api('/callbacks/' + callbackQueryId).catch(() => null);
        if (a && a.text) (a.show_alert ? alert : show)(a.text);
      }, 800);
    }
  } catch (e) { show(e); }
});
if ($('token').value) loadUsers().then(refresh).catch(show);
setInterval(refresh, 1000);
</script></body></html>`;
}
