import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import { checked, homeFor, loadMe, me, readsAsUnit } from './session'
import type { Role } from './types'
import Login from './views/Login.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown without signing in and without the menu (the login, the unit's one-time link). */
    public?: boolean
    /** The roles that may open the page; all signed-in roles when absent. Who reads as a unit
     *  (a viewer bound to one too) opens only the pages a unit contact may. */
    roles?: Role[]
  }
}

const office: Role[] = ['admin', 'reviewer', 'viewer']

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: () => homeFor(me.value?.role) },
  { path: '/login', component: Login, meta: { public: true } },
  { path: '/feedback/:token', component: () => import('./views/Feedback.vue'), props: true, meta: { public: true } },
  { path: '/review', component: () => import('./views/Review.vue'), meta: { roles: office } },
  { path: '/ledger', component: () => import('./views/Ledger.vue') },
  { path: '/problems/:id', component: () => import('./views/ProblemPage.vue'), props: true },
  { path: '/lights', component: () => import('./views/Lights.vue'), meta: { roles: office } },
  { path: '/notices', component: () => import('./views/Notices.vue'), meta: { roles: office } },
  { path: '/dashboard', component: () => import('./views/Dashboard.vue'), meta: { roles: office } },
  { path: '/templates', component: () => import('./views/Templates.vue'), meta: { roles: office } },
  { path: '/accounts', component: () => import('./views/Accounts.vue'), meta: { roles: ['admin'] } },
  { path: '/audit', component: () => import('./views/Audit.vue'), meta: { roles: ['admin'] } },
  { path: '/settings', component: () => import('./views/Settings.vue') },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!checked.value) {
    try {
      await loadMe()
    } catch {
      // The server did not answer: the login page says so when it is tried.
    }
  }
  if (!me.value) return { path: '/login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  const roles = to.meta.roles
  if (roles && (!roles.includes(me.value.role) || (readsAsUnit.value && !roles.includes('unit')))) {
    return homeFor(me.value.role)
  }
  return true
})
