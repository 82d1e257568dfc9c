export { startQuestDbPeer, reportQuestDbPeer, DEFAULT_QUESTDB_IMAGE } from './peer';
export type { QuestDbPeer, QuestDbPeerKind, QuestDbPeerOptions, QuestDbPeerStart } from './peer';
export { startTcpProxy } from './proxy';
export type { TcpProxy } from './proxy';
