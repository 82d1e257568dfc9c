import { reactive } from 'vue';
import { call, whenUnauthorized, type Session } from './api';
import { connectLive, disconnectLive } from './live';

/** Who is logged in. The password is kept in memory only, for the MQTT live link; a reload asks again. */
export const session = reactive<{ current: Session | null; username: string }>({ current: null, username: localStorage.getItem('ganzhi.user') ?? '' });

export const may = (action: string) => session.current?.allowed.includes(action) ?? false;

export async function login(username: string, password: string): Promise<void> {
  session.current = await call<Session>('POST', '/api/session', { username, password });
  session.username = username;
  localStorage.setItem('ganzhi.user', username);
  await connectLive(username, password);
}

export async function logout(): Promise<void> {
  disconnectLive();
  await call('DELETE', '/api/session').catch(() => undefined);
  session.current = null;
}

whenUnauthorized(() => {
  disconnectLive();
  session.current = null;
});
