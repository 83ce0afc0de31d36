/**
 * The address plan of an edge cluster that the workload relies on. The Service CIDR is set at
 * CreateCluster (it must not overlap the foundation's VPC, 10.80.0.0/16), so the cluster DNS
 * Service has a known address: nginx's resolver names it by address, which needs no lookup at
 * start (a resolver given by name would have to be resolved before cluster DNS answers).
 */
export const CLUSTER_SERVICE_CIDR = '172.20.0.0/16';
/** kube-dns / CoreDNS: EKS gives it the tenth address of the Service CIDR. */
export const CLUSTER_DNS_ADDRESS = '172.20.0.10';
