// The web panel's end-to-end test in real Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), against a running server.
// internal/panel/e2e_test.go starts a fresh server on each database and runs
// this script with, in the environment:
//
//   PANEL_URL        the server's base URL (http://127.0.0.1:PORT)
//   E2E_BACKEND      sqlite or postgres: names the domain the tenant creates
//   ADMIN_USER, ADMIN_PASSWORD     a SIP account admin
//   TENANT_USER, TENANT_PASSWORD   a tenant
//   USER_USER, USER_PASSWORD       an account (self-service)
//   SCREENSHOT_DIR   where the screenshots go (none when unset)
//   E2E_ONLY         optional, comma-separated step names to run
//
// Every step prints "ok" or "FAIL" with the reason; the exit code is 1 when a
// step failed. The flows run with the panel's CSP enforced and fail on any
// CSP violation or script error; only the accessibility scan's context
// bypasses the CSP, because injecting axe-core is an inline script.
import { chromium } from 'playwright-core';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const run = promisify(execFile);

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`panel.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const base = need('PANEL_URL').replace(/\/$/, '');
const backend = process.env.E2E_BACKEND || 'test';
const admin = { user: need('ADMIN_USER'), password: need('ADMIN_PASSWORD') };
const tenant = { user: need('TENANT_USER'), password: need('TENANT_PASSWORD') };
const user = { user: need('USER_USER'), password: need('USER_PASSWORD') };
const operator = { user: need('OPERATOR_USER'), password: need('OPERATOR_PASSWORD') };
const shots = process.env.SCREENSHOT_DIR || '';
const only = (process.env.E2E_ONLY || '').split(',').filter(Boolean);
const timeout = 15000;

// pages[who] are the panel pages a flow visited as who, for the scan.
const visited = { admin: new Set(), tenant: new Set(), user: new Set(), operator: new Set() };

class StepError extends Error {}

function check(ok, msg) {
  if (!ok) throw new StepError(msg);
}

// newContext opens a browser context that records script errors and CSP
// violations; check with cleanPage.
async function newContext(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 }, acceptDownloads: true, ...opts });
  ctx.setDefaultTimeout(timeout);
  ctx.problems = [];
  ctx.on('page', (p) => watch(ctx, p));
  return ctx;
}

function watch(ctx, page) {
  page.on('pageerror', (err) => ctx.problems.push(`script error on ${page.url()}: ${err.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      ctx.problems.push(`CSP violation on ${page.url()}: ${m.text()}`);
    }
  });
  // A form with data-confirm asks through window.confirm: say yes.
  page.on('dialog', (d) => d.accept());
}

function noProblems(ctx) {
  check(ctx.problems.length === 0, ctx.problems.join('\n'));
}

// visit loads a panel page as who and checks its status and h1.
async function visit(page, who, path, { status = 200, h1 } = {}) {
  const res = await page.goto(base + path);
  check(res, `GET ${path}: no answer`);
  check(res.status() === status, `GET ${path}: status ${res.status()}, want ${status}`);
  if (h1 !== undefined) await wantH1(page, h1, `GET ${path}`);
  if (who) visited[who].add(path);
  return res;
}

async function wantH1(page, text, where) {
  const got = (await page.locator('h1').first().textContent({ timeout: 5000 }).catch(() => null)) ?? '(no h1)';
  check(got.trim() === text, `${where}: h1 is "${got.trim()}", want "${text}"`);
}

async function shot(page, name) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `panel-${name}.png`), fullPage: true });
}

// login fills the login form; want is 'ok' (lands off the login page) or
// 'refused' (stays, with the refusal).
async function login(page, who, cred, want = 'ok') {
  await visit(page, null, '/panel/login', { h1: 'Log in' });
  await page.getByLabel('User name or address', { exact: true }).fill(cred.user);
  await page.getByLabel('Password', { exact: true }).fill(cred.password);
  await submit(page, page.getByRole('button', { name: 'Log in', exact: true }));
  const path = new URL(page.url()).pathname;
  if (want === 'ok') {
    check(path !== '/panel/login', `login as ${cred.user}: still on the login page: ${await flashText(page)}`);
    if (who) visited[who].add(path);
  } else {
    check(path === '/panel/login', `login as ${cred.user} with a wrong password: went to ${path}`);
    const body = await page.locator('main').textContent();
    check(body.includes('Wrong user name or password.'), `login as ${cred.user} with a wrong password: no "Wrong user name or password." on the page`);
  }
}

async function flashText(page) {
  const f = page.locator('.flash');
  return (await f.count()) ? (await f.first().textContent()).trim() : '(no message)';
}

// submit clicks a form's button and waits for the page it leads to.
async function submit(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

async function logout(page) {
  await submit(page, page.getByRole('button', { name: 'Log out', exact: true }));
  check(new URL(page.url()).pathname === '/panel/login', `log out: went to ${page.url()}, want /panel/login`);
}

// curl runs the real curl and returns the HTTP status and body.
async function curl(...args) {
  const { stdout } = await run('curl', ['-s', '-S', '--max-time', '10', '-w', '\n%{http_code}', ...args]);
  const i = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(i + 1)), body: stdout.slice(0, i) };
}

// a. Seed 003's flow: an admin generates an API key in the panel and uses it
// with curl on the SIP API; revoked, it gets 401 at once.
async function apiKeys(browser) {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await visit(page, null, '/panel/login', { h1: 'Log in' });
  await shot(page, 'login');
  await login(page, 'admin', admin);
  await visit(page, 'admin', '/panel/sip/accounts', { h1: 'SIP accounts' });
  await visit(page, 'admin', '/panel/apikeys', { h1: 'API keys' });

  const name = `e2e-${backend}`;
  await page.getByLabel('Key name', { exact: true }).fill(name);
  await submit(page, page.getByRole('button', { name: 'Generate a key', exact: true }));
  const out = page.locator('output#new-key');
  check((await out.count()) === 1, `after "Generate a key": no <output id="new-key"> (${await flashText(page)})`);
  const key = (await out.textContent()).trim();
  check(key.length >= 16, `the new key "${key.slice(0, 4)}..." is too short`);
  const copy = page.locator('button[data-copy="new-key"]');
  check(await copy.isVisible(), 'the copy button of the new key is not shown (panel.js did not run?)');

  const api = ['-H', `x-api-key: ${key}`, '-H', 'Accept: application/json', `${base}/api/accounts`];
  let res = await curl(...api);
  check(res.status === 200, `curl GET /api/accounts with the new key: ${res.status} ${res.body}, want 200`);
  check(JSON.parse(res.body).data !== undefined, `curl GET /api/accounts: no "data" in ${res.body}`);

  // The key is shown once: the screenshot hides it.
  await out.evaluate((el) => { el.textContent = 'sk_' + '•'.repeat(40); });
  await shot(page, 'apikeys');

  await visit(page, 'admin', '/panel/apikeys', { h1: 'API keys' });
  const revoke = page.getByRole('button', { name: `Revoke key ${name}`, exact: true });
  check((await revoke.count()) === 1, `no "Revoke" button with aria-label "Revoke key ${name}" on /panel/apikeys`);
  check((await revoke.textContent()).trim() === 'Revoke', `the revoke button's text is "${(await revoke.textContent()).trim()}", want "Revoke"`);
  await submit(page, revoke);
  if (/\/revoke$/.test(new URL(page.url()).pathname)) {
    // A confirmation page: confirm there.
    await submit(page, page.getByRole('button', { name: /Revoke/ }).first());
  }
  res = await curl(...api);
  check(res.status === 401, `curl GET /api/accounts with the revoked key: ${res.status}, want 401`);
  noProblems(ctx);
  await ctx.close();
}

// b. A tenant creates a domain with its first mailbox, makes a DKIM key,
// sees its record and downloads the domain's export.
async function tenantDomain(browser) {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await login(page, 'tenant', tenant);
  await visit(page, 'tenant', '/panel/domains', { h1: 'Domains' });

  const domain = `e2e-${backend}.example`;
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Create domain', exact: true }) });
  check((await form.count()) === 1, 'no form with a "Create domain" button on /panel/domains');
  await form.getByLabel('Domain', { exact: true }).fill(domain);
  await form.getByLabel('First mailbox', { exact: true }).fill('postmaster');
  await form.getByLabel('Password', { exact: true }).fill('e2e-mailbox-password-1');
  await submit(page, form.getByRole('button', { name: 'Create domain', exact: true }));
  const path = `/panel/domains/${domain}`;
  check(new URL(page.url()).pathname === path, `after "Create domain": at ${page.url()}, want ${path} (${await flashText(page)})`);
  await wantH1(page, domain, 'the new domain page');
  visited.tenant.add(path);
  for (const h2 of ['Mailboxes', 'Aliases', 'DKIM', 'Certificates', 'Export']) {
    check((await page.getByRole('heading', { level: 2, name: h2, exact: true }).count()) === 1, `the domain page has no h2 "${h2}"`);
  }

  await submit(page, page.getByRole('button', { name: 'New DKIM key', exact: true }));
  check(new URL(page.url()).pathname === path, `after "New DKIM key": at ${page.url()}, want ${path}`);
  const record = page.locator('pre.dkim-record');
  check((await record.count()) >= 1, `after "New DKIM key": no pre.dkim-record (${await flashText(page)})`);
  const txt = await record.first().textContent();
  check(txt.includes('v=DKIM1'), `the DKIM record does not hold "v=DKIM1": ${txt}`);
  for (const part of txt.match(/"[^"]*"/g) || []) {
    check(Buffer.byteLength(part) - 2 <= 255, `a quoted string of the DKIM record is longer than 255 bytes`);
  }
  const id = await record.first().getAttribute('id');
  check(id && (await page.locator(`button[data-copy="${id}"]`).isVisible()), `the DKIM record ${id} has no copy button shown`);
  await shot(page, 'domain');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download export', exact: true }).click(),
  ]);
  const file = await download.path();
  const failure = await download.failure();
  check(!failure, `the export download failed: ${failure}`);
  const size = statSync(file).size;
  check(size > 0, `the export download "${download.suggestedFilename()}" is empty`);
  console.log(`  export: ${download.suggestedFilename()}, ${size} bytes`);

  await visit(page, 'tenant', '/panel/domains', { h1: 'Domains' });
  check((await page.getByRole('link', { name: domain, exact: true }).count()) >= 1, `/panel/domains does not list ${domain}`);
  await shot(page, 'domains');
  noProblems(ctx);
  await ctx.close();
}

// c. An account changes its password: the old one no longer opens the
// panel nor the SIP API; the new one opens both.
async function password(browser) {
  const ctx = await newContext(browser);
  const page = await ctx.newPage();
  await login(page, 'user', user);
  await visit(page, 'user', '/panel/account', { h1: 'My account' });
  await shot(page, 'account');

  const old = user.password;
  const fresh = `${old}-changed`;
  await page.getByLabel('Current password', { exact: true }).fill(old);
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await submit(page, page.getByRole('button', { name: 'Change password', exact: true }));
  check(new URL(page.url()).pathname === '/panel/account', `after "Change password": at ${page.url()}, want /panel/account`);
  const msg = await flashText(page);
  check(msg === 'Password changed.', `after "Change password": the message is "${msg}", want "Password changed."`);
  await logout(page);

  await login(page, null, { user: user.user, password: old }, 'refused');
  await login(page, 'user', { user: user.user, password: fresh });
  user.password = fresh;

  const name = user.user.split('@')[0];
  const me = (pw) => curl('--digest', '-u', `${name}:${pw}`, '-H', `From: sip:${user.user}`, '-H', 'Accept: application/json', `${base}/api/accounts/me`);
  let res = await me(old);
  check(res.status === 401, `curl --digest /api/accounts/me with the old password: ${res.status}, want 401`);
  res = await me(fresh);
  check(res.status === 200, `curl --digest /api/accounts/me with the new password: ${res.status} ${res.body}, want 200`);
  noProblems(ctx);
  await ctx.close();
}

// d. axe-core on every page the flows visited, plus the login page, its
// refusal, the API keys page showing a new key and the error page. This
// context bypasses the CSP: axe is injected as an inline script.
async function accessibility(browser) {
  const axe = require.resolve('axe-core/axe.min.js');
  const found = [];
  const scan = async (page, label) => {
    await page.addScriptTag({ path: axe });
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    console.log(`  axe ${label}: ${res.violations.length} violations, ${bad.length} serious or critical`);
    for (const v of bad) {
      found.push(`${label}: [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes.map((n) => `      ${n.target.join(' ')}: ${n.html.slice(0, 200)}\n        ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'));
    }
  };
  const creds = { admin, tenant, user, operator };
  // Every page of the panel: lists, detail pages, and the confirmation
  // pages of destructive actions.
  const seeded = 'sip.example.org';
  const required = {
    admin: ['/panel/', '/panel/sip/accounts', '/panel/sip/accounts?q=a', '/panel/apikeys'],
    tenant: ['/panel/', '/panel/domains', `/panel/domains/${seeded}`, `/panel/domains/${seeded}?q=al`,
      `/panel/domains/${seeded}/delete`, `/panel/domains/${seeded}/mailboxes/alice@${seeded}/delete`,
      '/panel/oauth-clients', '/panel/config-links'],
    user: ['/panel/', '/panel/account', '/panel/account/delete', '/panel/account/email/confirm', '/panel/account/phone/confirm'],
    operator: ['/panel/', '/panel/tenants', '/panel/domains'],
  };
  let first = true;
  for (const who of ['admin', 'tenant', 'user', 'operator']) {
    const ctx = await newContext(browser, { bypassCSP: true });
    const page = await ctx.newPage();
    if (first) {
      await visit(page, null, '/panel/login', { h1: 'Log in' });
      await scan(page, 'GET /panel/login');
      await login(page, null, { user: creds[who].user, password: 'not-the-password' }, 'refused');
      await scan(page, 'POST /panel/login (refused)');
      first = false;
    }
    await login(page, null, creds[who]);
    // The pages of the brief, scanned even when a flow failed before them.
    const pages = new Set([...required[who], ...visited[who]]);
    for (const path of pages) {
      try {
        await visit(page, null, path);
        await scan(page, `GET ${path} (${who})`);
      } catch (err) {
        found.push(`GET ${path} (${who}): not scanned: ${err.message}`);
      }
    }
    if (who === 'admin') {
      // An account's own page and its delete confirmation.
      try {
        await visit(page, null, '/panel/sip/accounts');
        const href = await page.locator('table a[href^="/panel/sip/accounts/"]').first().getAttribute('href', { timeout: 5000 });
        for (const path of [href, href + '/delete']) {
          await visit(page, null, path);
          await scan(page, `GET ${path} (admin)`);
        }
      } catch (err) {
        found.push(`a SIP account's page (admin): not scanned: ${err.message}`);
      }
    }
    if (who === 'admin' && visited.admin.has('/panel/apikeys')) {
      await visit(page, null, '/panel/apikeys');
      await page.getByLabel('Key name', { exact: true }).fill('axe-scan');
      await submit(page, page.getByRole('button', { name: 'Generate a key', exact: true }));
      await scan(page, 'POST /panel/apikeys (a new key shown)');
    }
    if (who === 'tenant') {
      await visit(page, null, '/panel/no-such-page', { status: 404 });
      await scan(page, 'the error page (404)');
    }
    await ctx.close();
  }
  check(found.length === 0, `serious or critical accessibility violations:\n    ${found.join('\n    ')}`);
}

const steps = [
  ['apikeys', 'a SIP admin generates an API key, curl uses it, revoked it gets 401', apiKeys],
  ['domain', 'a tenant creates a domain with a mailbox, a DKIM key, downloads the export', tenantDomain],
  ['password', 'an account changes its password: the old one fails in the panel and the API', password],
  ['axe', 'axe-core finds no serious or critical violation on the pages visited', accessibility],
];

const browser = await chromium.launch({
  // Playwright gives each launch a new, empty profile (--user-data-dir in a
  // temp directory, removed on close). Without these switches Chromium
  // calls home, which the closed network refuses.
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  timeout: 60000,
});
console.log(`chromium ${browser.version()} against ${base} (${backend})`);
let failed = 0;
for (const [name, title, fn] of steps) {
  if (only.length && !only.includes(name)) continue;
  const start = Date.now();
  try {
    await fn(browser);
    console.log(`ok   ${name}: ${title} (${Date.now() - start} ms)`);
  } catch (err) {
    failed++;
    const why = err instanceof StepError ? err.message : err.stack;
    console.log(`FAIL ${name}: ${title}\n    ${why}`);
  }
}
await browser.close();
if (shots) console.log(`screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
