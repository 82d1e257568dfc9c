import type zh from './zh-CN';

/** English. */
const en: typeof zh = {
  app: { title: 'Ganzhi · Operations console', logout: 'Log out', lang: '中文' },
  nav: { board: 'Alert board', devices: 'Devices', silences: 'Silences', deadletters: 'Dead letters', overview: 'Overview', docs: 'API docs' },
  live: { up: 'Live link up', connecting: 'Connecting the live link…', down: 'Live link down, reconnecting' },
  login: { title: 'Duty operator login', username: 'User', password: 'Password', submit: 'Log in', failed: 'Wrong user or password', demo: 'Demo login: op-alice / demo-op-alice' },
  level: { blue: 'Blue', yellow: 'Yellow', orange: 'Orange', red: 'Red' },
  levelName: { blue: 'Blue warning', yellow: 'Yellow warning', orange: 'Orange warning', red: 'Red warning' },
  kind: { river_gauge: 'River gauge', air_monitor: 'Air monitor', fire_sensor: 'Fire sensor', port_device: 'Port device' },
  status: { open: 'Open', acknowledged: 'Acknowledged', dispatched: 'Dispatched', resolved: 'Resolved', closed: 'Closed' },
  condition: { active: 'Active', cleared: 'Cleared' },
  event: { raised: 'Raised', upgraded: 'Upgraded', downgraded: 'Downgraded', cleared: 'Cleared', reactivated: 'Reactivated', acknowledged: 'Acknowledged', dispatched: 'Dispatched', resolved: 'Resolved', closed: 'Closed', escalated: 'Escalated' },
  action: { acknowledge: 'Acknowledge', dispatch: 'Dispatch', resolve: 'Resolve', close: 'Close' },
  board: {
    title: 'Alert board', empty: 'No open alerts', all: 'All', kind: 'Kind', site: 'Site', status: 'Status',
    grade: 'Grade', device: 'Device', message: 'Alert', value: 'Value / threshold', opened: 'Opened', age: 'Age', marks: 'Marks',
    escalated: 'Escalated ×{n}', silenced: 'Silenced', inhibited: 'Inhibited', newRed: 'New red alert!',
  },
  alert: {
    title: 'Alert', back: 'Back to the board', trail: 'Trail', time: 'Time', who: 'Who', what: 'What', note: 'Note',
    value: 'Value', threshold: 'Threshold', rule: 'Rule', assignee: 'Assignee', chart: 'The metric around the alert',
    audit: 'Audit', auditOk: 'Hash chain verified ({n} events)', auditBad: 'Hash chain broken: the history may have been tampered with', actions: 'Actions',
    assigneePh: 'Assign to (team or person)', notePh: 'Resolution note', refused: 'Refused', noActions: 'Your role allows no action',
  },
  notify: {
    title: 'Notifications', receiver: 'Receiver', type: 'Channel', route: 'Route', status: 'Status', attempts: 'Attempts', lastError: 'Last error',
    created: 'Created', lastAttempt: 'Last attempt', done: 'Delivered / given up', next: 'Next try', grouped: 'one message for {n} alerts',
    none: 'No notifications for this alert', unavailable: 'No notifier runs in this process',
    state: { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' },
    kind: { webhook: 'Webhook', wecom: 'WeCom', dingtalk: 'DingTalk', feishu: 'Feishu', email: 'E-mail', unknown: 'Unknown' },
  },
  devices: {
    title: 'Devices', id: 'Id', name: 'Name', connection: 'Connection', since: 'Since', lastSeen: 'Last seen', latest: 'Latest values',
    alerts: 'Open alerts', online: 'Online', connected: 'Connected', disconnected: 'Disconnected', unknown: 'Unknown', any: 'Any',
  },
  device: { title: 'Device', range: 'Range', h1: '1 h', h6: '6 h', h24: '24 h', d7: '7 days', noData: 'No data in this range', attributes: 'Attributes', thresholds: 'Thresholds' },
  silences: {
    title: 'Silences (maintenance windows)', create: 'New silence', match: 'Match', deviceId: 'Device', kind: 'Kind', site: 'Site', ruleId: 'Rule',
    duration: 'Duration (minutes)', comment: 'Comment', endsAt: 'Ends', createdBy: 'Created by', end: 'End', empty: 'No active silences', submit: 'Create',
  },
  deadletters: { title: 'Dead letters', at: 'Time', stage: 'Stage', code: 'Code', device: 'Device', reason: 'Reason', payload: 'Original record', empty: 'No dead letters' },
  overview: {
    title: 'Overview', openAlerts: 'Open alerts', byLevel: 'By grade', byKind: 'By kind', bySite: 'By site', trend: 'Alerts raised, last 24 h',
    ingest: 'Ingest rate', perSec: 'per s', devicesOnline: 'Devices online', registered: 'registered', stored: 'Stored readings',
  },
  common: { refresh: 'Refresh', loading: 'Loading…', error: 'Error', none: 'None' },
};
export default en;
