# GCP-SETUP.2.5: the front-end site and the database backups. Uniform
# bucket-level access (no object ACLs) and versioning on both.

resource "google_storage_bucket" "frontend" {
  name                        = "${var.project}-frontend"
  project                     = var.project
  location                    = "ASIA-EAST1"
  uniform_bucket_level_access = true
  versioning {
    enabled = true
  }
  website {
    main_page_suffix = "index.html"
    not_found_page   = "index.html" # the React router handles unknown paths
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 5
    }
    action {
      type = "Delete"
    }
  }
}

# The CDN serves the site to everyone; nothing else is public.
resource "google_storage_bucket_iam_member" "frontend_public_read" {
  bucket = google_storage_bucket.frontend.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_storage_bucket" "backups" {
  name                        = "${var.project}-backups"
  project                     = var.project
  location                    = "ASIA-EAST1"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  versioning {
    enabled = true
  }
  retention_policy {
    retention_period = 2592000 # 30 days: a backup cannot be deleted early, even by mistake
  }
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
}
