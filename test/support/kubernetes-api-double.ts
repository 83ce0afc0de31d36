export * from '../../cli/sandbox/kubernetes-api-double';
