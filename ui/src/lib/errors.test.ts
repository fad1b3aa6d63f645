import { describe as suite, expect, it } from 'vitest'
import { describe } from './errors'

suite('errors in the inspector’s words', () => {
  it('puts a known code in Chinese, keeping the detail', () => {
    expect(describe({ code: 'unreachable', message: 'connection refused' })).toBe('连不上督查室，请检查网络后重试（connection refused）')
  })

  it('shows the message itself for a code it has no words for', () => {
    expect(describe({ code: 'token_expired', message: 'the enrolment token has expired' })).toBe('the enrolment token has expired')
  })
})
