export * from '../../cli/sandbox/emulated-deployment';
