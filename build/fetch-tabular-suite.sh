#!/usr/bin/env bash
# Fetches the public real-data suite of issue 15 (19 tabular data sets) from Debian packages and converts each to CSV
# with fixed, seeded train/test splits, into a cache folder outside git:
#   ${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}/tabular-suite/   (or the folder given as the first argument)
# With --large first, the larger supplement instead (5 sets of 20,000 to 61,395 rows, for choosing what depends on the
# row count; docs/realdata-suite.md), into .../tabular-large/: r-cran-ggplot2 (MIT: diamonds), r-cran-mlbench (GPL-2:
# Shuttle, LetterRecognition), r-cran-aer (GPL-2 | GPL-3: CPSSW8, CPS1988). Only the cache holds them; nothing is committed.
# With --holdout first, the held-out sets instead (37 sets of 101 to 10,000 rows that no default was chosen on, to check
# that the defaults carry), into .../tabular-holdout/: r-cran-mlbench (GPL-2), r-cran-aer (GPL-2 | GPL-3) and sets of
# r-cran-modeldata (MIT) outside the suite.
# Sources (licences): r-cran-modeldata (MIT), python3-sklearn (BSD-3: its bundled data files and OpenML test fixtures),
# dataset-fashion-mnist (MIT, through build/fetch-fashion-mnist.sh into .../fashion-mnist/).
# Writes per set NAME.train.csv and NAME.test.csv (header row, comma separated, strings quoted, missing cells empty),
# fashion_mnist.train-index.txt (the 20,000 training images kept) and suite.csv, the manifest the `realdata` study reads
# (name, task, label column, positive class, counts, source, licence). docs/realdata-suite.md describes every set.
# Idempotent: does nothing when the manifest and every file it names are present; the conversion is deterministic
# (R's set.seed(42) per set), so a rerun after deleting the folder writes identical files.
# Needs apt (apt-get download; apt-get install -y r-base-core when Rscript is missing).
set -euo pipefail

large=0
holdout=0
if [[ "${1:-}" == --large ]]; then
  large=1
  shift
elif [[ "${1:-}" == --holdout ]]; then
  holdout=1
  shift
fi
root="${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}"
if (( large )); then
  dest="${1:-$root/tabular-large}"
  packages=(r-cran-ggplot2 r-cran-mlbench r-cran-aer)
elif (( holdout )); then
  dest="${1:-$root/tabular-holdout}"
  packages=(r-cran-mlbench r-cran-aer r-cran-modeldata)
else
  dest="${1:-$root/tabular-suite}"
  packages=(r-cran-modeldata python3-sklearn)
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Fashion-MNIST comes from the existing script (its own idempotence check); the suite stores only the subsample's indices.
fashion="$(dirname "$dest")/fashion-mnist"
(( large || holdout )) || bash "$here/fetch-fashion-mnist.sh" "$fashion"

# The number of sets each mode writes: a manifest with fewer (an older version of this script) is fetched again.
if (( large )); then expected=5; elif (( holdout )); then expected=37; else expected=19; fi

complete() {
  [[ -s "$dest/suite.csv" ]] || return 1
  (( $(tail -n +2 "$dest/suite.csv" | wc -l) >= expected )) || return 1
  local name
  while IFS=, read -r name _; do
    [[ "$name" == name ]] && continue
    if [[ "$name" == fashion_mnist ]]; then
      [[ -s "$dest/fashion_mnist.train-index.txt" ]] || return 1
    else
      [[ -s "$dest/$name.train.csv" && -s "$dest/$name.test.csv" ]] || return 1
    fi
  done < "$dest/suite.csv"
}

if complete; then
  echo "Tabular suite already present in $dest"
  exit 0
fi

if ! command -v Rscript > /dev/null; then
  echo "Rscript is missing: installing r-base-core with apt" >&2
  if ! apt-get install -y --no-install-recommends r-base-core; then
    apt-get update
    apt-get install -y --no-install-recommends r-base-core
  fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download needs an up-to-date package list; refresh it only when the first try fails.
if ! apt-get download "${packages[@]}"; then
  apt-get update
  apt-get download "${packages[@]}"
fi
for deb in ./*.deb; do
  dpkg -x "$deb" x
done
if (( large || holdout )); then sklearn=none; else sklearn=$(ls -d x/usr/lib/python3/dist-packages/sklearn); fi

# Everything is written to a staging folder first and moved in at the end, so an interrupted run never leaves a
# manifest that looks complete.
mkdir -p out
cat > convert.R <<'EOF'
args <- commandArgs(trailingOnly = TRUE)
lib <- args[1]; sk <- args[2]; fashion <- args[3]; out <- args[4]; large <- args[5] == "large"; holdout <- args[5] == "holdout"
manifest <- list()

modeldata <- function(name, package = "modeldata") {
  e <- new.env()
  data(list = name, package = package, lib.loc = lib, envir = e)
  d <- as.data.frame(get(name, envir = e))
  # Factors (ordered or not) and logicals become text columns; numbers stay numbers.
  for (c in names(d)) if (is.factor(d[[c]]) || is.logical(d[[c]])) d[[c]] <- as.character(d[[c]])
  d
}

# A minimal ARFF reader for the OpenML fixtures: attribute names from the header, the data lines as CSV with ' or "
# quotes and ? for missing values.
arff <- function(path) {
  lines <- readLines(gzfile(path), warn = FALSE)
  at <- grep("^@attribute", lines, ignore.case = TRUE)
  names <- gsub("^'|'$", "", sub("^@attribute\\s+('[^']*'|\\S+).*$", "\\1", lines[at], ignore.case = TRUE))
  start <- grep("^@data", lines, ignore.case = TRUE)
  body <- lines[(start + 1):length(lines)]
  body <- body[nzchar(trimws(body)) & !startsWith(body, "%")]
  read.csv(text = body, header = FALSE, quote = "\"'", na.strings = "?", col.names = names,
           stringsAsFactors = FALSE, strip.white = TRUE)
}

# Stratified (classification) or plain (regression) 75/25 split with set.seed(42); training rows shuffled, test rows
# in their original order. Binary labels are written as true/false (true = the positive class).
add <- function(name, d, label, task, positive = NA, source, licence, notes = "") {
  d <- d[, c(setdiff(names(d), label), label)]
  y <- d[[label]]
  set.seed(42)
  n <- nrow(d)
  if (task == "regression") {
    test <- sort(sample.int(n, round(0.25 * n)))
  } else {
    test <- integer(0)
    for (cl in sort(unique(as.character(y)))) {
      members <- which(as.character(y) == cl)
      k <- round(0.25 * length(members))
      if (k > 0) test <- c(test, members[sample.int(length(members), k)])
    }
    test <- sort(test)
  }
  train <- setdiff(seq_len(n), test)
  train <- train[sample.int(length(train))]
  if (task == "binary") d[[label]] <- ifelse(as.character(y) == positive, "true", "false")
  if (task == "multiclass") d[[label]] <- as.character(y)
  write.csv(d[train, ], file.path(out, paste0(name, ".train.csv")), row.names = FALSE, na = "")
  write.csv(d[test, ], file.path(out, paste0(name, ".test.csv")), row.names = FALSE, na = "")
  x <- d[, setdiff(names(d), label), drop = FALSE]
  numeric <- sum(sapply(x, is.numeric))
  classes <- if (task == "regression") 0 else length(unique(y))
  manifest[[length(manifest) + 1]] <<- data.frame(
    name = name, task = task, label = label, positive = ifelse(is.na(positive), "", positive), classes = classes,
    rows = n, train = length(train), test = length(test), numeric = numeric, categorical = ncol(x) - numeric,
    missing = sum(is.na(x)), source = source, licence = licence, notes = notes)
}

finish <- function() {
  m <- do.call(rbind, manifest)
  write.csv(m, file.path(out, "suite.csv"), row.names = FALSE, quote = FALSE)
  print(m[, 1:11], row.names = FALSE)
  quit(save = "no")
}

num <- function(d, cols) { for (c in cols) d[[c]] <- as.numeric(as.character(d[[c]])); d }

if (holdout) {
  # Sets never used to choose a default: a check that the defaults carry to data they were not tuned on.
  mb <- "r-cran-mlbench"; ae <- "r-cran-aer"
  add("boston_housing", modeldata("BostonHousing", "mlbench"), "medv", "regression", source = mb, licence = "GPL-2")
  wbc <- modeldata("BreastCancer", "mlbench"); wbc$Id <- NULL
  wbc <- num(wbc, setdiff(names(wbc), "Class"))
  add("wbc", wbc, "Class", "binary", "malignant", mb, "GPL-2", "Wisconsin breast cancer (original); Id dropped; the 1-10 grades as numbers")
  glass <- modeldata("Glass", "mlbench"); glass$Type <- paste0("type_", glass$Type)
  add("glass", glass, "Type", "multiclass", source = mb, licence = "GPL-2")
  iono <- num(modeldata("Ionosphere", "mlbench"), "V1"); iono$V2 <- NULL
  add("ionosphere", iono, "Class", "binary", "bad", mb, "GPL-2", "V2 (constant) dropped")
  add("pima", modeldata("PimaIndiansDiabetes", "mlbench"), "diabetes", "binary", "pos", mb, "GPL-2")
  add("sonar", modeldata("Sonar", "mlbench"), "Class", "binary", "M", mb, "GPL-2")
  add("soybean", modeldata("Soybean", "mlbench"), "Class", "multiclass", source = mb, licence = "GPL-2",
      notes = "35 categorical columns (their levels are numbers) with missing cells")
  add("vehicle", modeldata("Vehicle", "mlbench"), "Class", "multiclass", source = mb, licence = "GPL-2")
  add("vowel", modeldata("Vowel", "mlbench"), "Class", "multiclass", source = mb, licence = "GPL-2")
  sat <- modeldata("Satellite", "mlbench"); sat$classes <- gsub(" ", "_", sat$classes)
  add("satellite", sat, "classes", "multiclass", source = mb, licence = "GPL-2")
  add("house_votes", modeldata("HouseVotes84", "mlbench"), "Class", "binary", "republican", mb, "GPL-2",
      "16 y/n votes as text; missing votes as empty cells")
  add("servo", num(modeldata("Servo", "mlbench"), c("Pgain", "Vgain")), "Class", "regression", source = mb, licence = "GPL-2")
  dna <- modeldata("DNA", "mlbench"); dna <- num(dna, setdiff(names(dna), "Class"))
  add("dna", dna, "Class", "multiclass", source = mb, licence = "GPL-2", notes = "180 binary indicator columns")
  cc <- modeldata("CreditCard", "AER"); cc$share <- NULL; cc$expenditure <- NULL
  add("credit_card", cc, "card", "binary", "no", ae, "GPL-2 | GPL-3", "share and expenditure (they give the label away) dropped")
  add("hmda", modeldata("HMDA", "AER"), "deny", "binary", "yes", ae, "GPL-2 | GPL-3")
  add("swiss_labor", modeldata("SwissLabor", "AER"), "participation", "binary", "yes", ae, "GPL-2 | GPL-3")
  add("house_prices", modeldata("HousePrices", "AER"), "price", "regression", source = ae, licence = "GPL-2 | GPL-3")
  tr <- modeldata("TeachingRatings", "AER"); tr$prof <- NULL
  add("teaching_ratings", tr, "eval", "regression", source = ae, licence = "GPL-2 | GPL-3", notes = "prof (an id) dropped")
  add("cps1985", modeldata("CPS1985", "AER"), "wage", "regression", source = ae, licence = "GPL-2 | GPL-3")
  add("college_distance", modeldata("CollegeDistance", "AER"), "score", "regression", source = ae, licence = "GPL-2 | GPL-3")
  cas <- modeldata("CASchools", "AER"); cas$district <- NULL; cas$school <- NULL; cas$read <- NULL
  add("ca_schools", cas, "math", "regression", source = ae, licence = "GPL-2 | GPL-3",
      notes = "district and school (names) and read (the other test score) dropped; county (45 values) categorical")
  add("bank_wages", modeldata("BankWages", "AER"), "job", "multiclass", source = ae, licence = "GPL-2 | GPL-3")
  add("health_insurance", modeldata("HealthInsurance", "AER"), "health", "binary", "no", ae, "GPL-2 | GPL-3")
  # Added 2026-12-07, after every default of the recipe was set: 14 more sets, from modeldata sets outside the suite too.
  md <- "r-cran-modeldata"
  add("penguins", modeldata("penguins"), "species", "multiclass", source = md, licence = "MIT",
      notes = "Palmer penguins; missing cells")
  add("two_class_dat", modeldata("two_class_dat"), "Class", "binary", "Class1", md, "MIT")
  add("ad_data", modeldata("ad_data"), "Class", "binary", "Impaired", md, "MIT",
      notes = "Alzheimer's disease: 129 protein and demographic columns; 333 rows")
  add("parabolic", modeldata("parabolic"), "class", "binary", "Class1", md, "MIT")
  psid <- modeldata("PSID1976", "AER"); psid$hours <- NULL; psid$wage <- NULL; psid$repwage <- NULL
  add("psid1976", psid, "participation", "binary", "yes", ae, "GPL-2 | GPL-3",
      "hours; wage and repwage (they give the label away) dropped")
  add("smoke_ban", modeldata("SmokeBan", "AER"), "smoker", "binary", "yes", ae, "GPL-2 | GPL-3")
  add("resume_names", modeldata("ResumeNames", "AER"), "call", "binary", "yes", ae, "GPL-2 | GPL-3",
      "first name (36 values) categorical")
  add("doctor_visits", modeldata("DoctorVisits", "AER"), "visits", "regression", source = ae, licence = "GPL-2 | GPL-3")
  add("nmes1988", modeldata("NMES1988", "AER"), "visits", "regression", source = ae, licence = "GPL-2 | GPL-3")
  add("gsoep9402", modeldata("GSOEP9402", "AER"), "school", "multiclass", source = ae, licence = "GPL-2 | GPL-3")
  add("guns", modeldata("Guns", "AER"), "violent", "regression", source = ae, licence = "GPL-2 | GPL-3",
      notes = "state (51 values) categorical")
  add("pima2", modeldata("PimaIndiansDiabetes2", "mlbench"), "diabetes", "binary", "pos", mb, "GPL-2",
      "pima with its impossible zeros as missing cells")
  add("ozone", modeldata("Ozone", "mlbench"), "V4", "regression", source = mb, licence = "GPL-2",
      notes = "daily maximum ozone; month; day and weekday categorical; missing cells")
  add("zoo", modeldata("Zoo", "mlbench"), "type", "multiclass", source = mb, licence = "GPL-2")
  finish()
}

if (large) {
  add("diamonds", modeldata("diamonds", "ggplot2"), "price", "regression", source = "r-cran-ggplot2", licence = "MIT",
      notes = "cut; color and clarity (ordered factors) as text columns")
  add("shuttle", modeldata("Shuttle", "mlbench"), "Class", "multiclass", source = "r-cran-mlbench", licence = "GPL-2",
      notes = "Statlog shuttle; 7 very unbalanced classes")
  add("letter", modeldata("LetterRecognition", "mlbench"), "lettr", "multiclass", source = "r-cran-mlbench", licence = "GPL-2")
  add("cpssw8", modeldata("CPSSW8", "AER"), "earnings", "regression", source = "r-cran-aer", licence = "GPL-2 | GPL-3")
  add("cps1988", modeldata("CPS1988", "AER"), "wage", "regression", source = "r-cran-aer", licence = "GPL-2 | GPL-3")
  finish()
}

md <- "r-cran-modeldata"
add("ames", modeldata("ames"), "Sale_Price", "regression", source = md, licence = "MIT")
add("attrition", modeldata("attrition"), "Attrition", "binary", "Yes", md, "MIT")
cells <- modeldata("cells"); cells$case <- NULL
add("cells", cells, "class", "binary", "PS", md, "MIT", "column case (the original train/test split) dropped")
add("concrete", modeldata("concrete"), "compressive_strength", "regression", source = md, licence = "MIT")
add("credit_data", modeldata("credit_data"), "Status", "binary", "bad", md, "MIT")
add("hpc_data", modeldata("hpc_data"), "class", "multiclass", source = md, licence = "MIT")
add("lending_club", modeldata("lending_club"), "Class", "binary", "bad", md, "MIT")
add("mlc_churn", modeldata("mlc_churn"), "churn", "binary", "yes", md, "MIT")
add("wa_churn", modeldata("wa_churn"), "churn", "binary", "Yes", md, "MIT")
add("stackoverflow", modeldata("stackoverflow"), "Remote", "binary", "Remote", md, "MIT")
add("car_prices", modeldata("car_prices"), "Price", "regression", source = md, licence = "MIT")
add("sacramento", modeldata("Sacramento"), "price", "regression", source = md, licence = "MIT",
    notes = "city and zip kept as categorical columns")

sd <- "python3-sklearn"
data_dir <- file.path(sk, "datasets", "data")
# breast_cancer.csv and wine_data.csv start with a line "rows,features,class names", not column names.
bc <- read.csv(file.path(data_dir, "breast_cancer.csv"), header = FALSE, skip = 1)
names(bc) <- c(paste0("x", 1:30), "target")
bc$diagnosis <- ifelse(bc$target == 0, "malignant", "benign"); bc$target <- NULL
add("breast_cancer", bc, "diagnosis", "binary", "malignant", sd, "BSD-3-Clause", "features x1..x30 (the 30 measurements in sklearn order)")
wine <- read.csv(file.path(data_dir, "wine_data.csv"), header = FALSE, skip = 1)
names(wine) <- c(paste0("x", 1:13), "cultivar")
wine$cultivar <- paste0("class_", wine$cultivar)
add("wine", wine, "cultivar", "multiclass", source = sd, licence = "BSD-3-Clause")
digits <- read.csv(gzfile(file.path(data_dir, "digits.csv.gz")), header = FALSE)
names(digits) <- c(paste0("pixel_", 0:63), "digit")
digits$digit <- paste0("d", digits$digit)
add("digits", digits, "digit", "multiclass", source = sd, licence = "BSD-3-Clause")
diabetes <- read.table(gzfile(file.path(data_dir, "diabetes_data_raw.csv.gz")), header = FALSE)
names(diabetes) <- c("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
diabetes$progression <- scan(gzfile(file.path(data_dir, "diabetes_target.csv.gz")), quiet = TRUE)
add("diabetes", diabetes, "progression", "regression", source = sd, licence = "BSD-3-Clause", notes = "raw (unscaled) features")
openml <- file.path(sk, "datasets", "tests", "data", "openml")
kr <- arff(Sys.glob(file.path(openml, "id_3", "data-v1-dl-*.arff.gz"))[1])
add("kr_vs_kp", kr, "class", "binary", "won", paste(sd, "(OpenML 3 fixture)"), "BSD-3-Clause")
titanic <- arff(Sys.glob(file.path(openml, "id_40945", "data-v1-dl-*.arff.gz"))[1])
titanic <- titanic[, setdiff(names(titanic), c("boat", "body", "name", "ticket", "home.dest"))]
titanic$survived <- as.character(titanic$survived)
add("titanic", titanic, "survived", "binary", "1", paste(sd, "(OpenML 40945 fixture)"), "BSD-3-Clause",
    "boat and body (they leak the label) and name; ticket; home.dest dropped (cabin kept as categorical)")

# Fashion-MNIST: 2,000 training images of each class (set.seed(42)), listed by their 0-based index in the 60,000;
# the 10,000 test images are the official test set.
con <- gzfile(file.path(fashion, "train-labels-idx1-ubyte.gz"), "rb")
header <- readBin(con, "raw", 8)
labels <- as.integer(readBin(con, "raw", 60000))
close(con)
set.seed(42)
keep <- integer(0)
for (cl in 0:9) { members <- which(labels == cl); keep <- c(keep, members[sample.int(length(members), 2000)]) }
keep <- sort(keep) - 1L
writeLines(as.character(keep), file.path(out, "fashion_mnist.train-index.txt"))
manifest[[length(manifest) + 1]] <- data.frame(
  name = "fashion_mnist", task = "multiclass", label = "label", positive = "", classes = 10, rows = 30000,
  train = length(keep), test = 10000, numeric = 784, categorical = 0, missing = 0, source = "dataset-fashion-mnist",
  licence = "MIT", notes = "pixels / 255; training rows listed in fashion_mnist.train-index.txt; test = the official 10000")

finish()
EOF
Rscript convert.R "$work/x/usr/lib/R/site-library" "$sklearn" "$fashion" "$work/out" "$(if (( large )); then echo large; elif (( holdout )); then echo holdout; else echo suite; fi)"

mkdir -p "$dest"
# The manifest last: its presence marks a complete suite.
for f in $(ls out | grep -v '^suite.csv$') suite.csv; do
  cp "out/$f" "$dest/$f.part"
  mv "$dest/$f.part" "$dest/$f"
done
echo "Tabular data sets written to $dest"
