import { createRouter, createWebHashHistory } from 'vue-router'
import Today from './views/Today.vue'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/today' },
    { path: '/today', component: Today },
    { path: '/visit/:id', component: () => import('./views/Visit.vue'), props: true },
    { path: '/visit/:id/checklist/:template', component: () => import('./views/Checklist.vue'), props: true },
    { path: '/finding/new', component: () => import('./views/FindingEditor.vue') },
    { path: '/finding/:id', component: () => import('./views/FindingEditor.vue'), props: true },
    { path: '/search', component: () => import('./views/Search.vue') },
    { path: '/sync', component: () => import('./views/Sync.vue') },
    { path: '/settings', component: () => import('./views/Settings.vue') },
  ],
})
