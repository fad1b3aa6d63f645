import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ConsoleError, errorFrom, ledgerQuery, mediaType, queryString, request, setSignedOutHandler } from './api'

function answer(status: number, body: unknown, raw = false) {
  return new Response(raw ? (body as string) : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function mockFetch(...responses: Response[]) {
  const f = vi.fn<typeof fetch>()
  for (const r of responses) f.mockResolvedValueOnce(r)
  vi.stubGlobal('fetch', f)
  return f
}

afterEach(() => {
  vi.unstubAllGlobals()
  setSignedOutHandler(null)
})

describe('request', () => {
  it('reads JSON with the session cookie of this origin and no anti-forgery header on a read', async () => {
    const f = mockFetch(answer(200, { username: 'wang', display_name: '王', role: 'admin', unit: null }))
    const me = await api.me()
    expect(me.role).toBe('admin')
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/console/me')
    expect(init?.method).toBe('GET')
    expect(init?.credentials).toBe('same-origin')
    expect((init?.headers as Record<string, string>)['X-Mingcha-Console']).toBeUndefined()
  })

  it('sends every write as JSON with X-Mingcha-Console: 1', async () => {
    const f = mockFetch(answer(200, { id: 'f1' }), answer(200, {}), answer(200, {}))
    await api.returnFinding('f/1', '照片看不清')
    await api.logout()
    await api.updateAccount('li', { disabled: true })
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/console/findings/f%2F1/return')
    expect(init?.method).toBe('POST')
    const h = init?.headers as Record<string, string>
    expect(h['X-Mingcha-Console']).toBe('1')
    expect(h['Content-Type']).toBe('application/json')
    expect(JSON.parse(init?.body as string)).toEqual({ comment: '照片看不清' })
    expect((f.mock.calls[1][1]?.headers as Record<string, string>)['X-Mingcha-Console']).toBe('1')
    expect(f.mock.calls[2][1]?.method).toBe('PATCH')
    expect((f.mock.calls[2][1]?.headers as Record<string, string>)['X-Mingcha-Console']).toBe('1')
  })

  it('sends an empty JSON object for a write without a body', async () => {
    const f = mockFetch(answer(200, {}))
    await request('POST', '/api/console/x')
    expect(f.mock.calls[0][1]?.body).toBe('{}')
  })

  it('uploads raw bytes with the type and the URL-encoded name', async () => {
    const f = mockFetch(answer(200, { sha256: 'ab', name: '整改照片.jpg', media_type: 'image/jpeg', size: 3, url: '/x' }))
    const file = new File([new Uint8Array([1, 2, 3])], '整改照片.jpg', { type: 'image/jpeg' })
    const up = await api.upload(file)
    expect(up.sha256).toBe('ab')
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/console/uploads')
    const h = init?.headers as Record<string, string>
    expect(h['Content-Type']).toBe('image/jpeg')
    expect(h['X-File-Name']).toBe(encodeURIComponent('整改照片.jpg'))
    expect(h['X-Mingcha-Console']).toBe('1')
    expect(init?.body).toBe(file)
  })

  it('throws the server error as a ConsoleError with code, message and status', async () => {
    mockFetch(answer(409, { code: 'wrong_stage', message: 'verify before close' }))
    const e = await api.close('p1').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ConsoleError)
    expect(e).toMatchObject({ code: 'wrong_stage', message: 'verify before close', status: 409 })
  })

  it('calls the signed-out handler on 401 not_signed_in, and only then', async () => {
    const signedOut = vi.fn()
    setSignedOutHandler(signedOut)
    mockFetch(answer(401, { code: 'bad_login', message: 'bad login' }), answer(401, { code: 'not_signed_in', message: 'sign in' }))
    await expect(api.login('a', 'b')).rejects.toMatchObject({ code: 'bad_login' })
    expect(signedOut).not.toHaveBeenCalled()
    await expect(api.batches()).rejects.toMatchObject({ code: 'not_signed_in', status: 401 })
    expect(signedOut).toHaveBeenCalledTimes(1)
  })

  it('makes a network failure a ConsoleError too', async () => {
    vi.stubGlobal('fetch', vi.fn<typeof fetch>().mockRejectedValue(new TypeError('Failed to fetch')))
    await expect(api.units()).rejects.toMatchObject({ code: 'network', status: 0 })
  })

  it('reads an empty success as {} and rejects a body that is not JSON', async () => {
    mockFetch(new Response('', { status: 200 }), new Response('<html>', { status: 200 }))
    await expect(api.logout()).resolves.toEqual({})
    await expect(api.units()).rejects.toMatchObject({ code: 'bad_response' })
  })

  it('joins addressees sent as a list', async () => {
    mockFetch(answer(200, { issuer: 'a', issuer_short: 'b', signer: 'c', addressees: ['各镇（街道）', '区直各单位'] }))
    expect((await api.settings()).addressees).toBe('各镇（街道）、区直各单位')
  })
})

describe('errorFrom', () => {
  it('keeps the HTTP status when the body is not an error object', () => {
    expect(errorFrom(502, '<html>Bad Gateway</html>')).toMatchObject({ code: 'http_502', status: 502 })
    expect(errorFrom(401, '')).toMatchObject({ code: 'not_signed_in' })
    expect(errorFrom(403, 'nope')).toMatchObject({ code: 'forbidden', message: 'nope' })
    expect(errorFrom(404, '')).toMatchObject({ code: 'not_found', message: 'HTTP 404' })
  })
})

describe('query strings', () => {
  it('leaves out what is not set and encodes the rest', () => {
    expect(queryString({})).toBe('')
    expect(queryString({ a: '', b: undefined, c: null, d: '  ' })).toBe('')
    expect(queryString({ window: 90, q: '脱岗 离岗' })).toBe('?window=90&q=%E8%84%B1%E5%B2%97+%E7%A6%BB%E5%B2%97')
  })

  it('builds the ledger filters in the contract order', () => {
    expect(ledgerQuery({})).toBe('')
    expect(ledgerQuery({ q: '窗口', unit: 'u1', stage: '', light: 'red', from: '2026-11-01', to: '2026-11-30', method: '暗访', category: 'san' }))
      .toBe(`?unit=u1&category=san&from=2026-11-01&to=2026-11-30&method=${encodeURIComponent('暗访')}&light=red&q=${encodeURIComponent('窗口')}`)
  })

  it('gives the export and findings URLs the same filters', () => {
    expect(api.ledgerXlsxUrl({ light: 'yellow', stage: 'assigned' })).toBe('/api/console/ledger.xlsx?stage=assigned&light=yellow')
    expect(api.noticeDocxUrl('n 1')).toBe('/api/console/notices/n%201/docx')
  })

  it('asks for open findings by state', async () => {
    const f = mockFetch(answer(200, { rows: [], total: 0, next: null }))
    await api.findings({ state: 'open' })
    expect(f.mock.calls[0][0]).toBe('/api/console/findings?state=open')
  })

  it('asks for the page after a cursor, the cursor escaped', async () => {
    const page = () => answer(200, { rows: [], total: 0, next: null })
    const f = mockFetch(page(), page())
    await api.findings({ batch: 'b1' }, { limit: 20, after: '2026-11-10T01:20:00.000000Z~f1' })
    expect(f.mock.calls[0][0]).toBe('/api/console/findings?batch=b1&limit=20&after=2026-11-10T01%3A20%3A00.000000Z%7Ef1')
    await api.problems({ q: '脱岗' }, { after: 'x~p' })
    expect(f.mock.calls[1][0]).toBe(`/api/console/problems?q=${encodeURIComponent('脱岗')}&after=x%7Ep`)
  })
})

describe('mediaType', () => {
  it('uses the browser type, else one by extension', () => {
    expect(mediaType({ name: 'a.JPG', type: 'image/jpeg' })).toBe('image/jpeg')
    expect(mediaType({ name: '报告.docx', type: '' })).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
    expect(mediaType({ name: 'x.xlsx', type: '' })).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(mediaType({ name: 'scan.PDF', type: '' })).toBe('application/pdf')
    expect(mediaType({ name: 'noext', type: '' })).toBe('application/octet-stream')
  })
})

describe('verifyPhoto', () => {
  it('asks for one photo by its digest and reads the failing check', async () => {
    const sha = 'a'.repeat(64)
    const f = mockFetch(answer(200, { scope: `photo ${sha}`, holds: false, checks: [
      { ok: true, kind: 'blob', message: 'blob aaaaaaaaaaaa…: its 9 bytes hash to its name' },
      { ok: false, kind: 'receipt', message: 'batch b1 of device d1: the stored receipt is not valid UTF-8' },
    ] }))
    const r = await api.verifyPhoto(sha)
    expect(f.mock.calls[0][0]).toBe(`/api/console/photos/${sha}/verify`)
    expect(r.holds).toBe(false)
    expect(r.checks.find((c) => !c.ok)?.message).toContain('receipt')
  })
})
