import { describe, expect, it } from 'vitest'
import { ConsoleError } from './api'
import { describe as describeError, describeWithDetail, ERROR_SENTENCES, sentence } from './errors'

// Every code docs/console-api.md names.
const CONTRACT_CODES = [
  'not_signed_in', 'bad_login', 'forbidden', 'csrf', 'invalid', 'not_found', 'unknown_unit', 'unknown_finding',
  'deadline_past', 'empty_notice', 'bad_upload', 'conflict', 'wrong_stage', 'rate_limited', 'link_quota_exceeded',
  'busy', 'too_long', 'too_many',
]

describe('error sentences', () => {
  it('has a Chinese sentence for every code of the contract', () => {
    for (const code of CONTRACT_CODES) {
      const s = sentence(code)
      expect(s, code).toBeTruthy()
      expect(s, code).toMatch(/[\u4e00-\u9fff]/)
      expect(s!.endsWith('。'), code).toBe(true)
    }
  })

  it('knows no codes by inherited names', () => {
    expect(sentence('toString')).toBeNull()
    expect(sentence('constructor')).toBeNull()
    expect(Object.keys(ERROR_SENTENCES)).toEqual(expect.arrayContaining(CONTRACT_CODES))
  })

  it('shows the sentence, with the server message where it says which field', () => {
    expect(describeError(new ConsoleError('bad_login', 'bad login', 401))).toBe('用户名或密码不正确。')
    expect(describeError(new ConsoleError('deadline_past', 'deadline before today', 400))).toBe('整改时限不能早于今天。')
    expect(describeError(new ConsoleError('invalid', 'deadline: not a date', 400))).toBe('填写的内容有误，请检查后重试。（deadline: not a date）')
    expect(describeError(new ConsoleError('invalid', '', 400))).toBe('填写的内容有误，请检查后重试。')
  })

  it("falls back to the server's message for a code it does not know", () => {
    expect(describeError(new ConsoleError('teapot', 'I am a teapot', 418))).toBe('I am a teapot')
    expect(describeError(new ConsoleError('teapot', '', 418))).toBe('出错了（teapot）')
    expect(describeError(new Error('boom'))).toBe('boom')
    expect(describeError('plain')).toBe('plain')
  })

  it('keeps the message after any sentence when asked for the detail', () => {
    expect(describeWithDetail(new ConsoleError('conflict', 'version 1 is not higher than 1', 409)))
      .toBe('该内容已被他人修改，请刷新后再操作。（version 1 is not higher than 1）')
    expect(describeWithDetail(new ConsoleError('forbidden', '', 403))).toBe('当前账号无权进行此操作。')
    expect(describeWithDetail(new ConsoleError('odd', 'odd thing', 400))).toBe('odd thing')
  })
})
