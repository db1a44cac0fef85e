# GO-LIVE.1.2: Memorystore for Redis on the project's VPC through private
# service access; the API reaches it through the serverless VPC connector.

resource "google_compute_global_address" "private_services" {
  name          = "lucky-gas-private-services"
  project       = var.project
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 16
  network       = "projects/${var.project}/global/networks/lucky-gas"
}

resource "google_service_networking_connection" "private_services" {
  network                 = "projects/${var.project}/global/networks/lucky-gas"
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

resource "google_redis_instance" "cache" {
  name                    = "lucky-gas-cache"
  project                 = var.project
  region                  = var.region
  tier                    = var.environment == "production" ? "STANDARD_HA" : "BASIC"
  memory_size_gb          = 1
  redis_version           = "REDIS_7_2"
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  authorized_network      = "projects/${var.project}/global/networks/lucky-gas"
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  auth_enabled            = true
  depends_on              = [google_service_networking_connection.private_services]
}

resource "google_vpc_access_connector" "api" {
  name          = "lucky-gas-vpc"
  project       = var.project
  region        = var.region
  network       = "lucky-gas"
  ip_cidr_range = "10.8.0.0/28"
  min_instances = 2
  max_instances = 3
}
