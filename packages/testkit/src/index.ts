export * from './kafka';
export * from './questdb';
