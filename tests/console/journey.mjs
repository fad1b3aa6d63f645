// The office console's journey in Debian's Chromium, driven by playwright-core. Started by
// tests/tests/console_journey.rs, which runs the office and the laptop and passes them here:
//   CONSOLE_URL, CONSOLE_PASSWORD (of `admin` and `wang`), UI_DIR (for playwright-core),
//   SHOTS (screenshots), DOWNLOADS (the notice and ledger land here), FINDINGS (ids, comma-
//   separated), MINGCHA_BIN / MINGCHA_DATA / MINGCHA_PASSPHRASE (the inspector's laptop),
//   FEEDBACK_PHOTO (a JPEG the unit attaches).
// Every wait is bounded; a failure throws, prints where it was, and leaves a screenshot.
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const env = (k) => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is not set`)
  return v
}
const URL_ = env('CONSOLE_URL')
const PASSWORD = env('CONSOLE_PASSWORD')
const SHOTS = env('SHOTS')
const DOWNLOADS = env('DOWNLOADS')
const FINDINGS = env('FINDINGS').split(',')
const { chromium } = createRequire(join(env('UI_DIR'), 'package.json'))('playwright-core')

const T = 20_000
const t = (id) => `[data-test="${id}"]`
let step = 'start'

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
})
// The office serves its self-signed certificate; the test trusts it as an office's staff would after checking its fingerprint.
const office = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true, locale: 'zh-CN', ignoreHTTPSErrors: true })
const page = await office.newPage()
page.setDefaultTimeout(T)

async function shot(p, name) {
  await p.screenshot({ path: join(SHOTS, `${name}.png`) })
}

async function signIn(user) {
  step = `sign in as ${user}`
  await page.goto(`${URL_}/#/login`)
  await page.fill(t('login-username'), user)
  await page.fill(t('login-password'), PASSWORD)
  await page.click(t('login-submit'))
  await page.waitForSelector(t('logout'))
}

async function signOut() {
  await page.click(t('logout'))
  await page.waitForSelector(t('login-username'))
}

async function download(trigger, name) {
  const [file] = await Promise.all([page.waitForEvent('download'), trigger()])
  await file.saveAs(join(DOWNLOADS, name))
}

const card = (id) => `${t('finding-card')}[data-id="${id}"]`

async function waitState(id, state) {
  await page.waitForSelector(`${card(id)}[data-state="${state}"]`)
}

async function stage(s) {
  await page.waitForSelector(`${t('problem-stage')}[data-stage="${s}"]`)
}

function laptop(...args) {
  return execFileSync(env('MINGCHA_BIN'), ['--json', ...args], { encoding: 'utf8' })
}

try {
  // The administrator sets what the notices print.
  await signIn('admin')
  step = 'notice settings'
  await page.goto(`${URL_}/#/settings`)
  await page.fill(t('settings-issuer'), '城南区作风效能建设领导小组办公室')
  await page.fill(t('settings-issuer-short'), '城南效能')
  await page.fill(t('settings-signer'), '城南区作风效能建设领导小组办公室')
  await page.fill(t('settings-addressees'), '各街道办事处，区直各部门：')
  await page.click(t('settings-save'))
  await page.waitForSelector(t('settings-ok'))
  await signOut()

  // The reviewer sees the day's batch and returns one finding.
  await signIn('wang')
  step = 'review'
  await page.goto(`${URL_}/#/review`)
  for (const id of FINDINGS) await page.waitForSelector(card(id))
  await page.waitForSelector(`${card(FINDINGS[0])} ${t('evidence')} img`)
  await shot(page, 'console-review')
  step = 'return'
  await page.click(`${card(FINDINGS[0])} ${t('finding-return')}`)
  await page.fill(t('return-comment'), '请写明脱岗时长和窗口编号')
  await page.click(t('return-confirm'))
  await waitState(FINDINGS[0], 'returned')

  // The inspector receives it, fixes it on the laptop and syncs again.
  step = 'resend from the laptop'
  laptop('sync')
  const resent = '3号窗口工作人员上班时间脱岗二十分钟，群众排队等候无人办理'
  laptop('finding', 'edit', FINDINGS[0], '--text', resent)
  laptop('sync')
  writeFileSync(join(DOWNLOADS, 'resent.txt'), resent)
  await page.reload()
  await waitState(FINDINGS[0], 'resent')
  await page.waitForSelector(`${card(FINDINGS[0])} ${t('finding-changed')}`)
  step = 'accept'
  for (const id of FINDINGS) {
    await page.click(`${card(id)} ${t('finding-accept')}`)
    await waitState(id, 'accepted')
  }

  // The ledger, and a notice of both problems.
  step = 'ledger'
  await page.goto(`${URL_}/#/ledger`)
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, t('ledger-row'))
  await shot(page, 'console-ledger')
  step = 'notice'
  await page.click(t('ledger-select-all'))
  await page.click(t('make-notice'))
  await page.fill(t('notice-title'), '关于2026年11月作风效能暗访情况的通报')
  await page.fill(t('notice-intro'), '11月10日，区作风效能建设领导小组办公室组成督查组，采取暗访方式对政务服务窗口进行了督查。现将发现的问题通报如下：')
  await page.click(t('notice-submit'))
  await page.waitForSelector(t('notice-number'))
  const number = (await page.textContent(t('notice-number'))).trim()
  if (!number.includes('城南效能〔') || !number.endsWith('1号')) throw new Error(`notice number ${number}`)
  await shot(page, 'console-notice')
  await download(() => page.click(t('notice-download')), 'notice.docx')

  // 交办 the first problem, with a deadline two days out: a yellow light.
  step = 'assign'
  await page.goto(`${URL_}/#/ledger`)
  await page.click(`${t('ledger-row')} >> nth=0`)
  await stage('pending')
  await page.click(t('assign-unit'))
  await page.click(`xpath=//div[contains(@class,'cs-pop-assign-unit')]//li[contains(@class,'el-select-dropdown__item')][normalize-space()='城南区政务服务中心']`)
  await page.fill(t('assign-person'), '王科长')
  const soon = new Date(Date.now() + 2 * 86400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' })
  await page.fill(t('assign-deadline'), soon)
  await page.press(t('assign-deadline'), 'Enter')
  await page.fill(t('assign-measures'), '落实AB岗和首问负责制')
  await page.click(t('assign-submit'))
  await stage('assigned')
  const problemUrl = page.url()

  // The unit reports through its one-time link, without an account.
  step = 'one-time link'
  await page.click(t('make-link'))
  const link = (await page.textContent(t('link-url'))).trim()
  const unit = await (await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'zh-CN', ignoreHTTPSErrors: true })).newPage()
  unit.setDefaultTimeout(T)
  await unit.goto(link)
  await unit.waitForSelector(t('feedback-summary'))
  await unit.fill(t('feedback-text'), '已调整排班，设置AB岗，窗口工作人员离岗须登记')
  await unit.setInputFiles(t('feedback-file'), env('FEEDBACK_PHOTO'))
  await unit.waitForSelector(t('feedback-file-done'))
  await shot(unit, 'console-feedback')
  await unit.click(t('feedback-submit'))
  await unit.waitForSelector(t('feedback-done'))

  // 复核 fails once, the unit's second report passes, and the problem is closed.
  step = 'verify'
  await page.goto(problemUrl)
  await page.reload()
  await stage('reported')
  await page.click(t('verify-fail'))
  await page.fill(t('verify-comment'), '回头看时3号窗口仍无人值守')
  await page.click(t('verify-submit'))
  await stage('assigned')
  await page.fill(t('feedback-text'), '已落实AB岗并在窗口公示')
  await page.click(t('feedback-submit'))
  await stage('reported')
  await page.click(t('verify-pass'))
  await page.fill(t('verify-comment'), '回头看已整改到位')
  await page.click(t('verify-submit'))
  await stage('verified')
  step = 'close'
  await page.click(t('close-submit'))
  await stage('closed')
  await shot(page, 'console-problem')

  step = 'dashboard'
  await page.goto(`${URL_}/#/dashboard`)
  await page.waitForSelector(`${t('dashboard-chart-unit')} canvas`)
  await shot(page, 'console-dashboard')

  // A page of one row: the second comes with 「加载更多」, numbered on, and no more after it.
  step = 'page through the ledger'
  await page.goto(`${URL_}/#/ledger?limit=1`)
  await page.waitForSelector(t('ledger-more'))
  const seqs = () => page.$$eval(`${t('ledger-row')} td.num`, (tds) => tds.map((td) => td.textContent.trim()).join())
  if ((await seqs()) !== '1') throw new Error(`first page of one: ${await seqs()}`)
  await page.click(t('ledger-more'))
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, t('ledger-row'))
  if ((await seqs()) !== '1,2') throw new Error(`after 加载更多: ${await seqs()}`)
  await page.waitForSelector(t('ledger-more'), { state: 'detached' })

  step = 'export the ledger'
  await page.goto(`${URL_}/#/ledger`)
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, t('ledger-row'))
  await download(() => page.click(t('ledger-export')), 'ledger.xlsx')
  console.log(`console journey: done (notice ${number})`)
} catch (e) {
  console.error(`console journey failed at "${step}": ${e.message}`)
  await shot(page, 'console-failure').catch(() => {})
  process.exitCode = 1
} finally {
  await browser.close()
}
