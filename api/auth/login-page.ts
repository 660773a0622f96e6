/** The dashboard's login page: one field for a token, posted to `/login`. `message` is shown as text (escaped). */
export function loginPage(message: string): string {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sluice: sign in</title>
<link rel="stylesheet" href="data:text/css,body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}input{width:100%;font-family:monospace}p.error{color:%23b00}">
</head><body>
<h1>Sluice</h1>
${escaped ? `<p class="error">${escaped}</p>` : ''}
<form method="post" action="/login">
<p><label for="token">API token</label></p>
<p><input id="token" name="token" type="password" autocomplete="off" autofocus required></p>
<p><button type="submit">Sign in</button></p>
</form>
<p><code>sluice dev</code> prints a sign-in link at start; <code>sluice tokens create</code> makes a token.</p>
</body></html>`;
}
