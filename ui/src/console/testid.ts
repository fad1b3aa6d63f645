// `v-test-input="'assign-deadline'"` on an element that wraps an Element Plus picker: puts the
// data-test attribute on the picker's native <input> (the picker does not pass attributes down),
// so a browser test can type `2026-11-30` + Enter into it. A range picker's second input gets
// `<id>-end`.
import type { Directive } from 'vue'

function tag(el: HTMLElement, id: string) {
  const inputs = el.querySelectorAll('input')
  inputs.forEach((input, i) => {
    const want = i === 0 ? id : `${id}-end`
    if (input.getAttribute('data-test') !== want) input.setAttribute('data-test', want)
  })
}

export const vTestInput: Directive<HTMLElement, string> = {
  mounted: (el, b) => tag(el, b.value),
  updated: (el, b) => tag(el, b.value),
}
