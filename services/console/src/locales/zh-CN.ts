/** 简体中文（默认）。 */
export default {
  app: { title: '感知 · 运行监控台', logout: '退出', lang: 'English' },
  nav: { board: '告警看板', devices: '设备', silences: '屏蔽', deadletters: '死信', overview: '态势总览', docs: '接口文档' },
  live: { up: '实时连接正常', connecting: '正在连接实时通道…', down: '实时通道已断开，正在重连' },
  login: { title: '值班员登录', username: '账号', password: '密码', submit: '登录', failed: '账号或密码错误', demo: '演示账号：op-alice / demo-op-alice' },
  level: { blue: '蓝', yellow: '黄', orange: '橙', red: '红' },
  levelName: { blue: '蓝色预警', yellow: '黄色预警', orange: '橙色预警', red: '红色预警' },
  kind: { river_gauge: '水文监测站', air_monitor: '空气质量监测', fire_sensor: '消防传感器', port_device: '港口设备' },
  status: { open: '待处理', acknowledged: '已确认', dispatched: '已派单', resolved: '已处置', closed: '已关闭' },
  condition: { active: '持续中', cleared: '已恢复' },
  event: { raised: '告警产生', upgraded: '升级', downgraded: '降级', cleared: '条件恢复', reactivated: '再次触发', acknowledged: '确认', dispatched: '派单', resolved: '处置完成', closed: '关闭', escalated: '超时升级通知' },
  action: { acknowledge: '确认', dispatch: '派单', resolve: '处置完成', close: '关闭' },
  board: {
    title: '告警看板', empty: '当前没有未关闭的告警', all: '全部', kind: '类型', site: '站点', status: '状态',
    grade: '等级', device: '设备', message: '告警内容', value: '数值 / 阈值', opened: '发生时间', age: '持续', marks: '标记',
    escalated: '已升级 ×{n}', silenced: '已屏蔽', inhibited: '已抑制', newRed: '新的红色告警！',
  },
  alert: {
    title: '告警详情', back: '返回看板', trail: '处置记录', time: '时间', who: '操作人', what: '事件', note: '说明',
    value: '当前值', threshold: '阈值', rule: '规则', assignee: '处置人', chart: '告警前后的监测曲线',
    audit: '审计校验', auditOk: '哈希链校验通过（{n} 条记录）', auditBad: '哈希链校验失败：记录可能被篡改', actions: '处置操作',
    assigneePh: '派给（班组或人员）', notePh: '处置说明', refused: '操作被拒绝', noActions: '当前角色无可执行的操作',
  },
  notify: {
    title: '通知送达', receiver: '接收方', type: '渠道', route: '路由', status: '状态', attempts: '尝试次数', lastError: '最近错误',
    created: '生成时间', lastAttempt: '最近尝试', done: '送达 / 放弃时间', next: '下次重试', grouped: '{n} 条告警合并为一条',
    none: '该告警没有通知', unavailable: '本进程未运行通知服务',
    state: { pending: '待送达', delivered: '已送达', failed: '送达失败' },
    kind: { webhook: 'Webhook', wecom: '企业微信', dingtalk: '钉钉', feishu: '飞书', email: '电子邮件', unknown: '未知' },
  },
  devices: {
    title: '设备', id: '编号', name: '名称', connection: '连接', since: '状态变化', lastSeen: '最后上报', latest: '最新数值',
    alerts: '未关闭告警', online: '在线', connected: '在线', disconnected: '离线', unknown: '未知', any: '全部',
  },
  device: { title: '设备', range: '时间范围', h1: '1 小时', h6: '6 小时', h24: '24 小时', d7: '7 天', noData: '该时间段没有数据', attributes: '属性', thresholds: '阈值线' },
  silences: {
    title: '屏蔽（维护窗口）', create: '新建屏蔽', match: '匹配', deviceId: '设备', kind: '类型', site: '站点', ruleId: '规则',
    duration: '时长（分钟）', comment: '备注', endsAt: '结束时间', createdBy: '创建人', end: '结束屏蔽', empty: '没有生效中的屏蔽', submit: '创建',
  },
  deadletters: { title: '死信', at: '时间', stage: '环节', code: '错误码', device: '设备', reason: '原因', payload: '原始数据', empty: '没有死信' },
  overview: {
    title: '态势总览', openAlerts: '未关闭告警', byLevel: '按等级', byKind: '按类型', bySite: '按站点', trend: '近 24 小时告警趋势',
    ingest: '接入速率', perSec: '条/秒', devicesOnline: '在线设备', registered: '已登记', stored: '已存储读数',
  },
  common: { refresh: '刷新', loading: '加载中…', error: '出错了', none: '无' },
};
