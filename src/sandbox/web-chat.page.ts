import { webChatScript } from './web-chat.script';

/**
 * The playground served at GET /: a Telegram-like chat with the bot running against this sandbox. Plain HTML, CSS and
 * JS inline (no build step, no CDN: it must work offline), talking to the control API and listening to the chat's
 * Server-Sent Events (sandbox.events.ts). docs/SANDBOX.md describes what it can do.
 */
export function webChatPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchyard playground</title><link rel="icon" href="data:,">
<style>${STYLE}</style></head><body>
<div id="app">
<aside id="side" aria-label="Users">
  <div class="brand">Switchyard playground</div>
  <div class="field"><label for="token">Bot token</label><input id="token" autocomplete="off" spellcheck="false" placeholder="123456:ABC…"></div>
  <form id="newUser" class="field" aria-label="New user">
    <label for="name">First name</label><input id="name" placeholder="Anna" autocomplete="off">
    <label for="lang">Language</label>
    <select id="lang"><option value="en">English</option><option value="ru">Русский</option></select>
    <button type="submit" id="newUserBtn">New user</button>
  </form>
  <button type="button" id="adminBtn" hidden>New admin user</button>
  <nav aria-label="Chats"><ul id="users"></ul></nav>
</aside>
<main id="chat">
  <header id="head">
    <div class="ava" aria-hidden="true">🤖</div>
    <div class="who"><div id="botName">Bot</div><div id="status" aria-live="polite">bot</div></div>
  </header>
  <div id="err" role="alert"></div>
  <div id="log" aria-label="Messages" tabindex="0"></div>
  <div id="drop" hidden>Drop a file to send it</div>
  <div id="toast" role="status" hidden></div>
  <div id="cmdMenu" role="menu" aria-label="Bot commands" hidden></div>
  <form id="composer" aria-label="Write a message">
    <button type="button" id="cmdBtn" aria-label="Bot commands" aria-haspopup="menu" aria-expanded="false" hidden>/</button>
    <label for="file" class="iconbtn" id="attach" title="Attach a file" tabindex="0" role="button" aria-label="Attach a file">📎</label>
    <input type="file" id="file" class="vh" multiple aria-label="Attach a file">
    <input id="text" aria-label="Message" placeholder="Message" autocomplete="off">
    <button type="button" id="mic" class="iconbtn" aria-label="Record a voice message" aria-pressed="false">🎤</button>
    <button type="submit" id="send" class="iconbtn" aria-label="Send">➤</button>
  </form>
  <div id="opts">
    <label><input type="checkbox" id="asVoice"> send audio files as voice</label>
    <label><input type="checkbox" id="asNote"> send videos as video note</label>
  </div>
  <div id="replyKb" aria-label="Bot keyboard" hidden></div>
</main>
</div>
<script>${webChatScript()}</script></body></html>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.35 -apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:#000;height:100vh;overflow:hidden}
#app{display:flex;height:100vh}
#side{width:290px;flex:none;background:#fff;border-right:1px solid #dfe1e5;display:flex;flex-direction:column;overflow:auto}
.brand{padding:14px 16px;font-weight:600;background:#517da2;color:#fff}
.field{padding:8px 16px;display:flex;flex-direction:column;gap:4px;border-bottom:1px solid #eee}
.field label{font-size:12px;color:#707579}
input,select,button{font:inherit}
input,select{padding:6px 8px;border:1px solid #c4c9cc;border-radius:8px}
button{cursor:pointer;border:0;border-radius:8px;padding:7px 12px;background:#3390ec;color:#fff}
button:disabled{opacity:.5;cursor:default}
#adminBtn{margin:8px 16px;background:#e17076}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
#users{list-style:none;margin:0;padding:0}
#users button{width:100%;display:flex;gap:10px;align-items:center;text-align:left;background:none;color:#000;border-radius:0;padding:9px 16px}
#users button[aria-current="true"]{background:#3390ec;color:#fff}
#users .ava{width:40px;height:40px;font-size:17px}
#users .sub{font-size:12px;opacity:.7}
.badge{margin-left:auto;background:#c4c9cc;color:#fff;border-radius:10px;padding:0 7px;font-size:12px}
.ava{flex:none;width:42px;height:42px;border-radius:50%;background:#7bc862;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
#chat{flex:1;display:flex;flex-direction:column;min-width:0;position:relative;background:#c8d9b3 linear-gradient(135deg,#d5e3b8,#a9c99a)}
#head{display:flex;gap:12px;align-items:center;padding:8px 16px;background:#fff;border-bottom:1px solid #dfe1e5}
#botName{font-weight:600}
#status{font-size:13px;color:#707579}#status.busy{color:#3390ec}
#err{background:#fdecea;color:#b3261e;padding:0 16px}#err:not(:empty){padding:8px 16px}
#log{flex:1;overflow-y:auto;padding:12px 10%;display:flex;flex-direction:column;gap:4px}
.row{display:flex}.row.me{justify-content:flex-end}
.b{max-width:min(480px,75%);padding:6px 10px 4px;border-radius:12px;background:#fff;box-shadow:0 1px 1px rgba(0,0,0,.12);white-space:pre-wrap;overflow-wrap:anywhere}
.me .b{background:#effdde;border-bottom-right-radius:4px}.bot .b{border-bottom-left-radius:4px}
.b.del{opacity:.55}.b.del .txt{text-decoration:line-through}
.meta{float:right;margin:6px 0 0 10px;font-size:11px;color:#8a9aa6;white-space:nowrap}.me .meta{color:#5fae5b}
.b img{display:block;max-width:100%;max-height:360px;border-radius:8px;margin:2px 0}
.album{display:grid;grid-template-columns:repeat(2,1fr);gap:2px}.album img{width:100%;height:160px;object-fit:cover;margin:0}
.b audio{display:block;width:260px;max-width:100%}.b video{display:block;max-width:100%;max-height:320px;border-radius:8px}
.b video.note{width:200px;height:200px;border-radius:50%;object-fit:cover}
.file{display:flex;gap:8px;align-items:center;color:#168acd;text-decoration:none}.file .ico{font-size:26px}
.kb{display:flex;gap:3px;margin-top:3px}.kb button,.kb a{flex:1;background:rgba(0,0,0,.28);color:#fff;border-radius:8px;padding:7px;text-align:center;text-decoration:none;font-size:14px}
.inline-kb{min-width:240px;max-width:min(480px,75%)}
.invoice .kb button{background:#3390ec}
.invoice .title{font-weight:600}.invoice .price{font-size:18px;margin:6px 0}.invoice .state{font-size:13px}
.invoice .state.refused{color:#b3261e}.invoice .state.paid{color:#2e7d32;font-weight:600}
.service{align-self:center;background:rgba(0,0,0,.25);color:#fff;border-radius:12px;padding:3px 10px;font-size:13px}
.cmd{color:#168acd;cursor:pointer;text-decoration:none}.txt a{color:#168acd}
#composer{display:flex;gap:6px;align-items:center;padding:8px 10%;background:#fff}
#text{flex:1;border:0;padding:10px;font-size:15px}#text:focus-visible{outline:2px solid #3390ec}
.iconbtn{background:none;color:#707579;font-size:20px;padding:6px 8px;border-radius:50%;cursor:pointer}
#send{color:#3390ec}#mic[aria-pressed="true"]{background:#e53935;color:#fff}
#cmdBtn{font-weight:700;padding:6px 12px}
#cmdMenu{position:absolute;bottom:110px;left:10%;background:#fff;border-radius:10px;box-shadow:0 4px 16px rgba(0,0,0,.25);max-height:50vh;overflow:auto;min-width:280px;z-index:5}
#cmdMenu button{display:block;width:100%;text-align:left;background:none;color:#000;border-radius:0;padding:8px 14px}
#cmdMenu button:hover{background:#f1f1f1}#cmdMenu b{color:#3390ec;margin-right:10px}
#opts{display:flex;gap:16px;padding:2px 10% 6px;background:#fff;font-size:12px;color:#707579}
#replyKb{padding:6px 10%;background:#f1f1f1;display:flex;flex-direction:column;gap:4px}
#replyKb .kbrow{display:flex;gap:4px}#replyKb button{flex:1;background:#fff;color:#000;box-shadow:0 1px 1px rgba(0,0,0,.15)}
#drop{position:absolute;inset:0;background:rgba(51,144,236,.25);border:3px dashed #3390ec;display:flex;align-items:center;justify-content:center;font-size:22px;color:#fff;z-index:6;pointer-events:none}
#drop[hidden],#cmdMenu[hidden],#toast[hidden],#replyKb[hidden],[hidden]{display:none}
#toast{position:absolute;top:70px;left:50%;transform:translateX(-50%);background:rgba(0,0,0,.75);color:#fff;padding:8px 14px;border-radius:10px;z-index:7;max-width:70%}
#toast button{margin-left:10px;padding:2px 10px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.empty{align-self:center;margin:auto;background:rgba(0,0,0,.25);color:#fff;padding:8px 14px;border-radius:12px}
`;
