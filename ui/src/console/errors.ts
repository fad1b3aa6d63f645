// An error as the office reads it: a Chinese sentence for every code of the contract, with the
// server's own message kept after it where that message says what exactly was wrong.
import { ConsoleError } from './api'

export const ERROR_SENTENCES: Record<string, string> = {
  not_signed_in: '登录已失效，请重新登录。',
  bad_login: '用户名或密码不正确。',
  forbidden: '当前账号无权进行此操作。',
  csrf: '请求未通过安全校验，请刷新页面后重试。',
  invalid: '填写的内容有误，请检查后重试。',
  not_found: '要找的内容不存在或已被删除。',
  unknown_unit: '没有这个单位，请从列表中选择已知单位。',
  unknown_finding: '没有这个问题编号，请核对后重试。',
  deadline_past: '整改时限不能早于今天。',
  empty_notice: '通报至少要包含一个问题。',
  bad_upload: '文件类型与文件名不符，或不是允许的类型（JPEG、PNG、PDF、Word、Excel）。',
  conflict: '该内容已被他人修改，请刷新后再操作。',
  wrong_stage: '当前阶段不能进行此操作，请刷新后查看最新进度。',
  rate_limited: '失败次数过多，已暂时锁定，请稍后再试。',
  link_quota_exceeded: '通过此链接上传的文件已达上限，请联系效能办。',
  busy: '服务器正忙，请稍后再试。',
  too_long: '填写的内容超过了长度上限，请精简后重试。',
  too_many: '选择的条目过多，请分批操作。',
  network: '无法连接服务器，请检查网络后重试。',
  bad_response: '服务器返回的内容无法识别，请稍后重试。',
}

/** Codes whose server message names the field or the reason: shown after the sentence. */
const WITH_DETAIL = new Set(['invalid', 'bad_upload', 'unknown_unit', 'unknown_finding', 'wrong_stage', 'too_long', 'too_many'])

/** The sentence for a code, or null when the contract does not know the code. */
export function sentence(code: string): string | null {
  return Object.prototype.hasOwnProperty.call(ERROR_SENTENCES, code) ? ERROR_SENTENCES[code] : null
}

/** What to show for anything a call threw. */
export function describe(e: unknown): string {
  if (e instanceof ConsoleError) {
    const s = sentence(e.code)
    if (!s) return e.message || `出错了（${e.code}）`
    return WITH_DETAIL.has(e.code) && e.message ? `${s}（${e.message}）` : s
  }
  if (e instanceof Error) return e.message
  return String(e)
}

/** The sentence with the server's message always after it: for pages (publishing a template)
 *  where the server's check is the whole answer. */
export function describeWithDetail(e: unknown): string {
  if (e instanceof ConsoleError) {
    const s = sentence(e.code)
    if (!s) return e.message || `出错了（${e.code}）`
    return e.message ? `${s}（${e.message}）` : s
  }
  return describe(e)
}
