import { createApp } from 'vue'
import {
  ElAlert, ElButton, ElCheckbox, ElConfigProvider, ElDatePicker, ElDialog, ElForm, ElFormItem, ElImage,
  ElInput, ElInputNumber, ElOption, ElPopconfirm, ElProgress, ElRadio, ElRadioButton, ElRadioGroup, ElSelect,
  ElTag, ElTimeSelect,
} from 'element-plus'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { forgetStoredDrafts } from './lib/drafts'

// Only the components the screens use, so the window parses a fraction of the library at
// start (the first screen must come within a second on a full store).
const components = [
  ElAlert, ElButton, ElCheckbox, ElConfigProvider, ElDatePicker, ElDialog, ElForm, ElFormItem, ElImage,
  ElInput, ElInputNumber, ElOption, ElPopconfirm, ElProgress, ElRadio, ElRadioButton, ElRadioGroup, ElSelect,
  ElTag, ElTimeSelect,
]
// Finding drafts live in memory now; an earlier version left them in WebKit's storage on disk.
forgetStoredDrafts()
const app = createApp(App).use(i18n).use(router)
for (const c of components) app.use(c)
app.mount('#app')
