// The office console: a second app in the ui/ workspace, served by mingcha-server at `/`.
import { createApp } from 'vue'
import {
  ElAlert, ElButton, ElCheckbox, ElConfigProvider, ElDatePicker, ElDialog, ElForm, ElFormItem, ElImage,
  ElInput, ElOption, ElOptionGroup, ElPagination, ElRadio, ElRadioGroup, ElSelect, ElTag,
} from 'element-plus'
import 'element-plus/dist/index.css'
import '../style.css'
import './console.css'
import App from './App.vue'
import { setSignedOutHandler } from './api'
import { router } from './router'
import { signedOut } from './session'

// A session that ended (12 hours, logout elsewhere) sends the next call's page to the login.
setSignedOutHandler(() => {
  signedOut()
  const current = router.currentRoute.value
  if (!current.meta.public) void router.replace({ path: '/login', query: { next: current.fullPath } })
})

// Only the components the pages use.
const components = [
  ElAlert, ElButton, ElCheckbox, ElConfigProvider, ElDatePicker, ElDialog, ElForm, ElFormItem, ElImage,
  ElInput, ElOption, ElOptionGroup, ElPagination, ElRadio, ElRadioGroup, ElSelect, ElTag,
]
const app = createApp(App).use(router)
for (const c of components) app.use(c)
app.mount('#app')
