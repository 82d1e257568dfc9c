import type { NotifyLanguage } from '@ganzhi/registry';
import { GRADE, type DeviceKind, type Level } from '@ganzhi/schemas';
import type { NotifyItem } from './planner';

type Labels = {
  grade: Record<Level, string>;
  event: Record<NotifyItem['event'], string>;
  kind: Record<DeviceKind, string>;
  open: string;
};

/** Words of the messages, per language (zh-CN first: the operations centre's language). */
export const LABELS: Record<NotifyLanguage, Labels> = {
  'zh-CN': {
    grade: { red: '红色预警（I级）', orange: '橙色预警（II级）', yellow: '黄色预警（III级）', blue: '蓝色预警（IV级）' },
    event: {
      raised: '新告警',
      upgraded: '告警升级',
      downgraded: '告警降级',
      cleared: '条件已解除',
      reactivated: '再次触发',
      acknowledged: '已确认',
      dispatched: '已派单',
      resolved: '已处置',
      closed: '已关闭',
      escalated: '超时未确认',
      repeat: '仍未解除',
    },
    kind: { river_gauge: '水位站', air_monitor: '空气质量监测站', fire_sensor: '消防传感器', port_device: '港口设备' },
    open: '查看告警',
  },
  en: {
    grade: { red: `Red (${GRADE.red})`, orange: `Orange (${GRADE.orange})`, yellow: `Yellow (${GRADE.yellow})`, blue: `Blue (${GRADE.blue})` },
    event: {
      raised: 'raised',
      upgraded: 'upgraded',
      downgraded: 'downgraded',
      cleared: 'condition cleared',
      reactivated: 'active again',
      acknowledged: 'acknowledged',
      dispatched: 'dispatched',
      resolved: 'resolved',
      closed: 'closed',
      escalated: 'not acknowledged in time',
      repeat: 'still open',
    },
    kind: { river_gauge: 'river gauge', air_monitor: 'air monitor', fire_sensor: 'fire sensor', port_device: 'port device' },
    open: 'Open the alert',
  },
};

/** Grade colours: hex (DingTalk, e-mail), WeCom's three named colours, Feishu card header templates. */
export const COLORS: Record<Level, { hex: string; wecom: 'warning' | 'comment' | 'info'; feishu: string }> = {
  red: { hex: '#E02020', wecom: 'warning', feishu: 'red' },
  orange: { hex: '#FA8C16', wecom: 'warning', feishu: 'orange' },
  yellow: { hex: '#D4B106', wecom: 'comment', feishu: 'yellow' },
  blue: { hex: '#1677FF', wecom: 'info', feishu: 'blue' },
};
