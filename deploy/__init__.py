"""Deployment support: the atomic Redis lock store (deploy.lock_store), the logging config
(deploy/logging.yml) and the Kubernetes manifests (deploy/kubernetes/)."""
