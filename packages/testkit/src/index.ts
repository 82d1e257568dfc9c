export * from './kafka';
export * from './questdb';
export * from './mqtt/frozen';
