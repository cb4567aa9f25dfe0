/**
 * Signing in and out, the role guards, changing a password and resetting a forgotten one, in a
 * real browser against a real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browserSkip, DEMO_PASSWORD, screenshot, signIn, startUiTest, withFailureScreenshot, type UiTestEnv } from '../../testing/browser.js';

const skip = browserSkip(import.meta.filename);

describe('signing in and out', { skip }, () => {
  let env: UiTestEnv;
  before(async () => {
    env = await startUiTest();
  });
  after(() => env?.close());

  it('refuses a wrong password, then lands each role on its own section, and logs out', async () => {
    const page = await env.newPage();
    await withFailureScreenshot(page, 'auth-login', async () => {
      await page.goto('/manager');
      await page.waitForURL(/\/login\?next=%2Fmanager/);
      await page.getByLabel('Email').fill('manager@acme.test');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await screenshot(page, 'auth-login-refused');
      await page.getByLabel('Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/manager$/);

      // A manager sent to the admin console lands back on its own section.
      await page.goto('/admin/users');
      await page.waitForURL(/\/manager$/);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login/);
      await page.goto('/manager');
      await page.waitForURL(/\/login/);
    });

    for (const [email, home] of [
      ['admin@acme.test', /\/admin\/users$/],
      ['client@acme.test', /\/client$/],
    ] as const) {
      const other = await env.newPage();
      await signIn(other, email);
      await other.waitForURL(home);
    }
  });

  it('changes a password on the account page; the old one stops working', async () => {
    const page = await env.newPage();
    await signIn(page, 'client2@acme.test');
    await withFailureScreenshot(page, 'auth-password', async () => {
      await page.getByRole('link', { name: /Acme Client 2/ }).click();
      await page.getByLabel('Current password').fill(DEMO_PASSWORD);
      await page.getByLabel('New password', { exact: true }).fill('a-new-password-42');
      await page.getByLabel('Repeat the new password').fill('a-new-password-42');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed').waitFor();
      await screenshot(page, 'auth-password-changed');
    });
    assert.equal((await env.server.request('POST', '/api/auth/login', { body: { email: 'client2@acme.test', password: DEMO_PASSWORD } })).status, 401);
    assert.equal((await env.server.request('POST', '/api/auth/login', { body: { email: 'client2@acme.test', password: 'a-new-password-42' } })).status, 200);
  });

  it('resets a forgotten password with the emailed link', async () => {
    const page = await env.newPage();
    await withFailureScreenshot(page, 'auth-reset', async () => {
      await page.goto('/login');
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.getByLabel('Email').fill('manager@acme.test');
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByText('a link to choose a new password is on its way').waitFor();

      const outbox = (await env.server.request('GET', '/api/outbox', { token: await env.server.login('admin@acme.test') })).body as Array<{ to: string; body: string }>;
      const mail = outbox.find((email) => email.to === 'manager@acme.test' && email.body.includes('/reset-password?token='));
      assert.ok(mail, 'the reset email is in the outbox');
      const link = new URL(/(\S+\/reset-password\?token=\S+)/.exec(mail.body)![1]!);
      await page.goto(link.pathname + link.search);
      await page.getByLabel('New password').fill('reset-password-42');
      await page.getByLabel('Repeat it').fill('reset-password-42');
      await page.getByRole('button', { name: 'Set the password' }).click();
      await page.getByText('Your password is changed').waitFor();
      await screenshot(page, 'auth-reset-done');

      await signIn(page, 'manager@acme.test', 'reset-password-42');
      await page.waitForURL(/\/manager$/);
    });
  });
});
