export * from '../../cli/sandbox/moto-server';
