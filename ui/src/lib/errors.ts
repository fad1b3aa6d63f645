// An error in the inspector's words: a sentence in the UI's language for the codes a person
// can act on, with the library's own message kept after it as the detail.
import { i18n } from '../i18n'
import type { IpcError } from '../ipc/bindings'

export function describe(e: IpcError): string {
  const key = `errors.${e.code}`
  const { t, te } = i18n.global
  return te(key) ? `${t(key)}（${e.message}）` : e.message
}
