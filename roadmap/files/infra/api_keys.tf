# GCP-SETUP.1.4: the production Maps key works for the Routes API only, and
# only from the API's egress address. Its value goes to Secret Manager
# (secret maps-api-key), never into code or the service's environment.

resource "google_apikeys_key" "routes" {
  name         = "lucky-gas-routes"
  project      = var.project
  display_name = "Lucky Gas API: Routes API only"
  restrictions {
    api_targets {
      service = "routes.googleapis.com"
    }
    server_key_restrictions {
      allowed_ips = [google_compute_address.api_egress.address]
    }
  }
}

# Cloud Run leaves through the VPC connector and Cloud NAT with this fixed address.
resource "google_compute_address" "api_egress" {
  name    = "lucky-gas-api-egress"
  project = var.project
  region  = var.region
}

resource "google_secret_manager_secret_version" "maps_api_key" {
  secret      = "projects/${var.project}/secrets/maps-api-key"
  secret_data = google_apikeys_key.routes.key_string
}
