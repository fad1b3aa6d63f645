// zh-CN first: the inspector's language. English is a switch in 设置 for reviewers and
// contributors. Labels of domain values (severity, status, kind) live here too.
import { createI18n } from 'vue-i18n'

export const messages = {
  'zh-CN': {
    app: { name: '明查', tagline: '明查暗访 · 现场记录' },
    nav: { today: '今日', search: '检索', sync: '同步', settings: '设置', lock: '锁定' },
    common: {
      save: '保存', cancel: '取消', confirm: '确定', back: '返回', add: '新增', delete: '删除', retry: '重试',
      saved: '已保存', saving: '保存中…', none: '无', loading: '加载中…', more: '加载更多', all: '全部',
      online: '在线', offline: '离线', notEnrolled: '未登记', unsynced: '待同步 {n} 项',
    },
    setup: {
      title: '首次使用：建立本机数据', intro: '记录保存在本机，加密存储。口令用于解锁，遗失后无法找回。',
      inspector: '督查员姓名', device: '本机名称', passphrase: '口令（至少 8 位）', repeat: '再次输入口令',
      mismatch: '两次输入的口令不一致', create: '建立', demo: '载入演示数据（一个任务、两个单位、已填检查表、带照片的问题）',
      dataDir: '数据目录',
    },
    unlock: { title: '输入口令解锁', passphrase: '口令', unlock: '解锁', wrong: '口令不正确' },
    today: {
      title: '今日 {date}', plans: '今日任务', visits: '今日检查', noPlans: '今天没有任务', noVisits: '还没有开始检查',
      newPlan: '新建任务', startVisit: '开始检查', drafts: '草稿问题', returned: '被退回', unsynced: '待同步变更',
      hidden: '暗访对象当日可见', units: '检查对象', findings: '问题 {n}', ongoing: '进行中', ended: '已结束',
    },
    plan: {
      title: '任务名称', kind: '方式', from: '开始日期', to: '结束日期', units: '被检查单位', checklists: '检查表',
      newUnit: '新增单位', unitName: '单位名称', region: '所属区域', spots: '点位（逗号分隔）',
    },
    visit: {
      title: '检查', unit: '被检查单位', spot: '点位', kind: '方式', arrived: '到达时间', left: '离开时间', notes: '备注',
      start: '开始', end: '结束检查', checklists: '检查表', openChecklist: '打开检查表', findings: '问题',
      newFinding: '记录问题', score: '得分 {score}',
    },
    checklist: {
      help: '↑↓ 移动 · 1 符合 · 2 不符合 · 3 不适用 · Enter 备注', note: '备注', makeFinding: '据此记录问题',
      answered: '已答 {done}/{total}',
    },
    finding: {
      new: '记录问题', edit: '问题', category: '问题类别', categorySearch: '搜索类别', severity: '严重程度',
      description: '问题描述', persons: '涉及人员（敏感）', observed: '发现时间', spot: '点位', photos: '证据',
      addFiles: '选择文件', addFolder: '导入相机文件夹', drop: '将照片拖到此处', importing: '导入中 {done}/{files}',
      create: '保存问题', autosaved: '已自动保存', status: '状态', returnedBy: '督查室退回意见', fromItem: '来自检查项',
      noEvidence: '还没有证据', flags: '提示', taken: '拍摄时间', place: '拍摄地点', camera: '相机', deleted: '已删除',
      refused: '{n} 个文件未导入', pathHint: '或粘贴文件或文件夹路径（如相机存储卡）', importPath: '导入', deleteConfirm: '删除这条问题？',
    },
    search: {
      placeholder: '输入关键词，如 脱岗、未一次性告知', unit: '单位', category: '类别', status: '状态', from: '从', to: '至',
      results: '结果', none: '没有找到',
    },
    sync: {
      title: '同步到督查室', server: '督查室地址', token: '登记令牌', enroll: '登记本机', enrolled: '已登记：{server}',
      now: '立即同步', running: '同步中…', last: '上次同步 {at}', never: '从未同步', pending: '待同步变更 {n} 项',
      done: '同步完成：发送 {changes} 项变更、{files} 个文件，收到 {events} 条督查室消息',
      failed: '以下内容未能发送，将在下次同步时重试', returned: '督查室退回的问题', fix: '修改',
      batch: '发送 {n} 项变更', uploading: '上传 {n} 个文件', committed: '督查室已接收', pulled: '收到 {n} 条消息',
    },
    settings: {
      title: '设置', language: '语言', server: '督查室', lock: '锁定', lockNow: '立即锁定', idle: '无操作自动锁定（分钟）',
      passphrase: '修改口令', old: '原口令', new: '新口令', dataDir: '数据目录', dataHint: '用 --data 参数或 MINGCHA_DATA 环境变量指定其他目录',
      about: '关于', version: '版本', changed: '口令已修改',
    },
    errors: {
      wrong_passphrase: '口令不正确', locked: '已锁定，请输入口令', not_enrolled: '本机尚未在督查室登记，请先登记',
      bad_url: '督查室地址不正确，应以 https:// 开头', unreachable: '连不上督查室，请检查网络后重试',
      tls_required: '督查室使用加密连接，地址应以 https:// 开头',
      certificate_mismatch: '对方证书与登记时的督查室证书不符，未发送任何数据。若督查室更换了证书，请用新令牌重新登记',
      token_outdated: '这是旧格式的登记令牌，请向督查室索取新令牌', bad_token_format: '登记令牌格式不正确，请完整复制督查室给出的令牌',
      server_error: '督查室暂时出错，请稍后重试', invalid_input: '输入有误', not_found: '找不到该记录',
      demo_present: '演示数据已在本机', duplicate: '已有同名记录', io: '读写文件失败',
    },
    kind: { open: '明查', covert: '暗访' },
    method: { open: '明查', covert: '暗访', follow_up: '回头看', public_report: '群众反映' },
    severity: { minor: '一般', serious: '较重', grave: '严重' },
    status: { draft: '草稿', submitted: '已提交', returned: '退回', accepted: '已采纳' },
    result: { conforming: '符合', non_conforming: '不符合', not_applicable: '不适用' },
    flag: { no_capture_time: '无拍摄时间', taken_outside_visit_day: '拍摄日期 {date} 非检查当日', damaged: '文件损坏' },
  },
  en: {
    app: { name: 'Mingcha', tagline: 'Open and covert inspections · field notes' },
    nav: { today: 'Today', search: 'Search', sync: 'Sync', settings: 'Settings', lock: 'Lock' },
    common: {
      save: 'Save', cancel: 'Cancel', confirm: 'OK', back: 'Back', add: 'Add', delete: 'Delete', retry: 'Retry',
      saved: 'Saved', saving: 'Saving…', none: 'None', loading: 'Loading…', more: 'Load more', all: 'All',
      online: 'Online', offline: 'Offline', notEnrolled: 'Not enrolled', unsynced: '{n} to sync',
    },
    setup: {
      title: 'First start: set up this laptop', intro: 'Records stay on this laptop, encrypted. The passphrase unlocks them and cannot be recovered.',
      inspector: 'Inspector name', device: 'Laptop name', passphrase: 'Passphrase (8 characters or more)', repeat: 'Passphrase again',
      mismatch: 'The two passphrases differ', create: 'Create', demo: 'Load demo data (a plan, two units, a filled checklist, findings with photos)',
      dataDir: 'Data folder',
    },
    unlock: { title: 'Enter the passphrase', passphrase: 'Passphrase', unlock: 'Unlock', wrong: 'Wrong passphrase' },
    today: {
      title: 'Today {date}', plans: 'Plans', visits: 'Visits', noPlans: 'No plan today', noVisits: 'No visit started yet',
      newPlan: 'New plan', startVisit: 'Start a visit', drafts: 'Draft findings', returned: 'Returned', unsynced: 'Changes to sync',
      hidden: 'Covert targets show on the day', units: 'Targets', findings: '{n} findings', ongoing: 'Ongoing', ended: 'Ended',
    },
    plan: {
      title: 'Title', kind: 'Kind', from: 'From', to: 'To', units: 'Units', checklists: 'Checklists',
      newUnit: 'New unit', unitName: 'Unit name', region: 'Region', spots: 'Spots (comma separated)',
    },
    visit: {
      title: 'Visit', unit: 'Unit', spot: 'Spot', kind: 'Kind', arrived: 'Arrived', left: 'Left', notes: 'Notes',
      start: 'Start', end: 'End visit', checklists: 'Checklists', openChecklist: 'Open checklist', findings: 'Findings',
      newFinding: 'New finding', score: 'Score {score}',
    },
    checklist: {
      help: '↑↓ move · 1 conforming · 2 non-conforming · 3 n/a · Enter note', note: 'Note', makeFinding: 'Record a finding from it',
      answered: '{done}/{total} answered',
    },
    finding: {
      new: 'New finding', edit: 'Finding', category: 'Category', categorySearch: 'Search categories', severity: 'Severity',
      description: 'Description', persons: 'Persons involved (sensitive)', observed: 'Observed at', spot: 'Spot', photos: 'Evidence',
      addFiles: 'Choose files', addFolder: 'Import a camera folder', drop: 'Drop photos here', importing: 'Importing {done}/{files}',
      create: 'Save finding', autosaved: 'Saved automatically', status: 'Status', returnedBy: "The office's comment", fromItem: 'From checklist item',
      noEvidence: 'No evidence yet', flags: 'Flags', taken: 'Taken', place: 'Place', camera: 'Camera', deleted: 'Deleted',
      refused: '{n} files not imported', pathHint: 'Or paste a file or folder path (a camera card, say)', importPath: 'Import', deleteConfirm: 'Delete this finding?',
    },
    search: {
      placeholder: 'Words, e.g. 脱岗', unit: 'Unit', category: 'Category', status: 'Status', from: 'From', to: 'To',
      results: 'Results', none: 'Nothing found',
    },
    sync: {
      title: 'Sync with the office', server: 'Office address', token: 'Enrolment token', enroll: 'Enroll this laptop', enrolled: 'Enrolled: {server}',
      now: 'Sync now', running: 'Syncing…', last: 'Last sync {at}', never: 'Never synced', pending: '{n} changes to sync',
      done: 'Synced: {changes} changes and {files} files sent, {events} office messages received',
      failed: 'Not sent; the next sync retries them', returned: 'Returned by the office', fix: 'Fix',
      batch: 'Sending {n} changes', uploading: 'Uploading {n} files', committed: 'The office has it', pulled: '{n} office messages',
    },
    settings: {
      title: 'Settings', language: 'Language', server: 'Office', lock: 'Lock', lockNow: 'Lock now', idle: 'Lock after idle (minutes)',
      passphrase: 'Change passphrase', old: 'Current passphrase', new: 'New passphrase', dataDir: 'Data folder', dataHint: 'Start with --data or MINGCHA_DATA for another folder',
      about: 'About', version: 'Version', changed: 'Passphrase changed',
    },
    errors: {
      wrong_passphrase: 'Wrong passphrase', locked: 'Locked: enter the passphrase', not_enrolled: 'This laptop is not enrolled with an office yet',
      bad_url: 'The office address should start with https://', unreachable: 'The office cannot be reached: check the network and retry',
      tls_required: 'The office speaks HTTPS: its address starts with https://',
      certificate_mismatch: 'The server\'s certificate is not the office\'s from enrollment; nothing was sent. If the office changed its certificate, enroll again with a new token',
      token_outdated: 'This enrollment token is in the old format: ask the office for a new one', bad_token_format: 'This is not an enrollment token: copy the whole token the office gave you',
      server_error: 'The office is failing for now: retry later', invalid_input: 'Check the input', not_found: 'No such record',
      demo_present: 'The demo day is already here', duplicate: 'That name is taken', io: 'A file could not be read or written',
    },
    kind: { open: 'Open', covert: 'Covert' },
    method: { open: 'Open', covert: 'Covert', follow_up: 'Follow-up', public_report: 'Public report' },
    severity: { minor: 'Minor', serious: 'Serious', grave: 'Grave' },
    status: { draft: 'Draft', submitted: 'Submitted', returned: 'Returned', accepted: 'Accepted' },
    result: { conforming: 'Conforming', non_conforming: 'Non-conforming', not_applicable: 'N/A' },
    flag: { no_capture_time: 'No capture time', taken_outside_visit_day: 'Taken on {date}, not the visit day', damaged: 'Damaged file' },
  },
}

export type Locale = keyof typeof messages
export const LOCALE_KEY = 'mingcha.locale'

export function savedLocale(): Locale {
  const v = typeof localStorage === 'undefined' ? null : localStorage.getItem(LOCALE_KEY)
  return v === 'en' ? 'en' : 'zh-CN'
}

export const i18n = createI18n({ legacy: false, locale: savedLocale(), fallbackLocale: 'zh-CN', messages })
