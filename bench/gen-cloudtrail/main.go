// Command gen-cloudtrail writes a corpus of CloudTrail log files as S3
// delivers them (AWSLogs/o-id/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz,
// {"Records":[...]} on one line), with about 0.1% root events among the
// roles, users and services a real organization's trail holds. It is
// deterministic for a seed, and writes manifest.json with what it wrote,
// root events by kind included, so a benchmark can check the count it finds.
// The same seed and size give the same files.
//
//	go run ./bench/gen-cloudtrail -out bench/out/cloudtrail -size 2GiB
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

type manifest struct {
	Files             int            `json:"files"`
	Records           int64          `json:"records"`
	UncompressedBytes int64          `json:"uncompressed_bytes"`
	CompressedBytes   int64          `json:"compressed_bytes"`
	RootEvents        int64          `json:"root_events"`
	RootByKind        map[string]int `json:"root_by_kind"`
	Seed              uint64         `json:"seed"`
	RootShare         float64        `json:"root_share"`
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return int64(f * float64(mult)), err
}

func main() {
	out := flag.String("out", "bench/out/cloudtrail", "output `DIR`")
	sizeFlag := flag.String("size", "2GiB", "uncompressed `SIZE` to write (GiB, MiB, GB, MB)")
	seed := flag.Uint64("seed", 1, "random seed")
	rootShare := flag.Float64("root-share", 0.001, "share of root events")
	accounts := flag.Int("accounts", 24, "member accounts")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil || size <= 0 {
		log.Fatalf("-size %q: %v", *sizeFlag, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	g := gen{accounts: makeAccounts(*accounts), regions: []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}, rootShare: *rootShare,
		roles: defaultRoles(), services: defaultServices()}
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	// The file count is decided up front from each file's record count
	// (its first random draw) and the mean record size, so a seed always
	// gives the same files, whatever the scheduling.
	files := 0
	for est := int64(0); est < size; files++ {
		est += int64(recordsIn(rand.New(rand.NewPCG(*seed, uint64(files))))) * meanRecordBytes
	}
	var mu sync.Mutex
	m := manifest{RootByKind: map[string]int{}, Seed: *seed, RootShare: *rootShare}
	next := 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf, zbuf bytes.Buffer
			for {
				mu.Lock()
				if next >= files {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				r := rand.New(rand.NewPCG(*seed, uint64(i)))
				acct := g.accounts[i%len(g.accounts)]
				region := g.regions[(i/len(g.accounts))%len(g.regions)]
				// Files every 5 minutes per account and region, as CloudTrail delivers.
				at := start.Add(time.Duration(i/(len(g.accounts)*len(g.regions))) * 5 * time.Minute)
				buf.Reset()
				recs, kinds := g.file(r, &buf, acct, region, at)
				zbuf.Reset()
				zw, _ := gzip.NewWriterLevel(&zbuf, gzip.DefaultCompression)
				_, _ = zw.Write(buf.Bytes())
				_ = zw.Close()
				dir := filepath.Join(*out, "AWSLogs", "o-bench12345", acct, "CloudTrail", region, at.Format("2006/01/02"))
				name := fmt.Sprintf("%s_CloudTrail_%s_%s_%016x.json.gz", acct, region, at.Add(5*time.Minute).Format("20060102T1504Z"), r.Uint64())
				if err := os.MkdirAll(dir, 0o755); err != nil {
					log.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), zbuf.Bytes(), 0o644); err != nil {
					log.Fatal(err)
				}
				mu.Lock()
				m.Files++
				m.Records += int64(recs)
				m.UncompressedBytes += int64(buf.Len())
				m.CompressedBytes += int64(zbuf.Len())
				for k, n := range kinds {
					m.RootByKind[k] += n
					m.RootEvents += int64(n)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "manifest.json"), b, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
}

// meanRecordBytes is the generated records' mean size, measured.
const meanRecordBytes = 1230

// recordsIn draws a file's record count: its generator's first draw.
func recordsIn(r *rand.Rand) int { return 20 + r.IntN(600) }

type gen struct {
	accounts  []string
	regions   []string
	rootShare float64
	roles     []string
	services  []service
}

func makeAccounts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%012d", 210000000000+int64(i)*7919)
	}
	return out
}

func hex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func upper(r *rand.Rand, n int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(len(digits))]
	}
	return string(b)
}

func uuid(r *rand.Rand) string {
	return hex(r, 8) + "-" + hex(r, 4) + "-" + hex(r, 4) + "-" + hex(r, 4) + "-" + hex(r, 12)
}

// file writes one log file's body and returns its record count and the
// root events by kind.
func (g *gen) file(r *rand.Rand, w *bytes.Buffer, acct, region string, at time.Time) (int, map[string]int) {
	n := recordsIn(r)
	kinds := map[string]int{}
	w.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		t := at.Add(time.Duration(r.IntN(300)) * time.Second)
		var rec map[string]any
		if r.Float64() < g.rootShare {
			var kind string
			rec, kind = g.root(r, acct, region, t)
			kinds[kind]++
		} else {
			rec = g.other(r, acct, region, t)
		}
		writeRecord(w, rec)
	}
	w.WriteString(`]}`)
	return n, kinds
}

// cloudTrailOrder is the order CloudTrail writes a record's fields in; the
// reader's fast path relies on eventVersion coming first, as it does.
func cloudTrailOrder() []string {
	return []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
		"errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly",
		"resources", "eventType", "managementEvent", "recipientAccountId", "eventCategory", "sessionCredentialFromConsole", "tlsDetails"}
}

// writeRecord writes a record with its fields in CloudTrail's order.
func writeRecord(w *bytes.Buffer, rec map[string]any) {
	w.WriteByte('{')
	n := 0
	for _, k := range cloudTrailOrder() {
		v, ok := rec[k]
		if !ok {
			continue
		}
		if n > 0 {
			w.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		w.Write(kb)
		w.WriteByte(':')
		w.Write(vb)
	}
	w.WriteByte('}')
}

func base(r *rand.Rand, acct, region string, t time.Time, source, name string) map[string]any {
	return map[string]any{
		"eventVersion": "1.10", "eventTime": t.Format(time.RFC3339), "eventSource": source, "eventName": name, "awsRegion": region,
		"sourceIPAddress": fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256)), "requestID": uuid(r), "eventID": uuid(r),
		"readOnly": true, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acct, "eventCategory": "Management",
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source},
	}
}

type service struct{ source, name, agent string }

func defaultRoles() []string {
	return []string{"OrganizationAccountAccessRole", "ci-deployer", "app-backend", "AWSReservedSSO_AdministratorAccess_0123456789abcdef", "datadog-integration", "lambda-exec-orders"}
}

func defaultServices() []service {
	return []service{
		{"s3.amazonaws.com", "GetObject", "aws-sdk-java/2.25.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17"},
		{"s3.amazonaws.com", "PutObject", "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22"},
		{"ec2.amazonaws.com", "DescribeInstances", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1"},
		{"kms.amazonaws.com", "Decrypt", "aws-internal/3 aws-sdk-java/1.12"},
		{"sts.amazonaws.com", "AssumeRole", "lambda.amazonaws.com"},
		{"dynamodb.amazonaws.com", "DescribeTable", "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux"},
		{"logs.amazonaws.com", "CreateLogStream", "aws-sdk-nodejs/3.450.0"},
		{"lambda.amazonaws.com", "Invoke", "terraform/1.7.0 (+https://www.terraform.io)"},
	}
}

// other is a record of anyone but root.
func (g *gen) other(r *rand.Rand, acct, region string, t time.Time) map[string]any {
	s := g.services[r.IntN(len(g.services))]
	rec := base(r, acct, region, t, s.source, s.name)
	rec["userAgent"] = s.agent
	switch k := r.IntN(10); {
	case k < 6:
		role := g.roles[r.IntN(len(g.roles))]
		session := "session-" + hex(r, 8)
		rec["userIdentity"] = map[string]any{"type": "AssumedRole", "principalId": "AROA" + upper(r, 17) + ":" + session,
			"arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session, "accountId": acct, "accessKeyId": "ASIA" + upper(r, 16),
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + upper(r, 17),
				"arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
				"attributes": map[string]any{"creationDate": t.Add(-time.Hour).Format(time.RFC3339), "mfaAuthenticated": "false"}}}
	case k < 8:
		user := fmt.Sprintf("user-%d", r.IntN(40))
		rec["userIdentity"] = map[string]any{"type": "IAMUser", "principalId": "AIDA" + upper(r, 17), "arn": "arn:aws:iam::" + acct + ":user/" + user,
			"accountId": acct, "accessKeyId": "AKIA" + upper(r, 16), "userName": user}
	default:
		rec["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": strings.TrimSuffix(s.source, ".amazonaws.com") + ".amazonaws.com"}
		rec["sourceIPAddress"] = s.source
	}
	switch s.source {
	case "s3.amazonaws.com":
		bucket := fmt.Sprintf("data-%s-%d", acct[8:], r.IntN(5))
		rec["requestParameters"] = map[string]any{"bucketName": bucket, "key": fmt.Sprintf("prefix/%s/part-%05d.parquet", hex(r, 6), r.IntN(99999)), "Host": bucket + ".s3." + region + ".amazonaws.com"}
		rec["resources"] = []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::" + bucket + "/prefix"}, map[string]any{"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + bucket}}
		rec["additionalEventData"] = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader", "x-amz-id-2": upper(r, 40), "bytesTransferredOut": r.IntN(1 << 20)}
		rec["managementEvent"], rec["eventCategory"] = false, "Data"
	case "ec2.amazonaws.com":
		rec["requestParameters"] = map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{"items": []any{map[string]any{"name": "tag:team", "valueSet": map[string]any{"items": []any{map[string]any{"value": "payments"}}}}}}}
	case "kms.amazonaws.com":
		rec["requestParameters"] = map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": map[string]any{"aws:lambda:FunctionArn": "arn:aws:lambda:" + region + ":" + acct + ":function:orders"}}
		rec["resources"] = []any{map[string]any{"accountId": acct, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:" + region + ":" + acct + ":key/" + uuid(r)}}
	case "sts.amazonaws.com":
		rec["requestParameters"] = map[string]any{"roleArn": "arn:aws:iam::" + acct + ":role/lambda-exec-orders", "roleSessionName": "orders"}
		rec["responseElements"] = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA" + upper(r, 16), "sessionToken": upper(r, 200), "expiration": "Jun 1, 2026, 1:00:00 PM"}}
		rec["readOnly"] = false
	default:
		rec["requestParameters"] = map[string]any{"name": "resource-" + hex(r, 10)}
	}
	if r.IntN(50) == 0 {
		rec["errorCode"], rec["errorMessage"] = "AccessDenied", "User is not authorized to perform this operation"
	}
	return rec
}

// root is a root event: sign-ins with and without MFA, failed ones, calls
// signed with a root key, and console-session calls.
func (g *gen) root(r *rand.Rand, acct, region string, t time.Time) (map[string]any, string) {
	id := map[string]any{"type": "Root", "principalId": acct, "arn": "arn:aws:iam::" + acct + ":root", "accountId": acct}
	switch k := r.IntN(10); {
	case k < 4:
		rec := base(r, acct, "us-east-1", t, "signin.amazonaws.com", "ConsoleLogin")
		id["accessKeyId"] = ""
		rec["userIdentity"], rec["eventType"], rec["readOnly"] = id, "AwsConsoleSignIn", false
		rec["userAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"
		outcome, mfa := "Success", "Yes"
		if k == 0 {
			outcome = "Failure"
			rec["errorMessage"] = "Failed authentication"
		}
		if k == 1 {
			mfa = "No"
		}
		rec["responseElements"] = map[string]any{"ConsoleLogin": outcome}
		rec["additionalEventData"] = map[string]any{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": mfa}
		return rec, "console-login"
	case k < 7:
		rec := base(r, acct, region, t, "s3.amazonaws.com", "ListBuckets")
		id["accessKeyId"] = "AKIA" + upper(r, 16)
		rec["userIdentity"], rec["userAgent"] = id, "aws-cli/1.18.69 Python/3.8 Linux/5.4 botocore/1.17.0"
		return rec, "api-call"
	default:
		rec := base(r, acct, region, t, "iam.amazonaws.com", "ListUsers")
		id["accessKeyId"] = "ASIA" + upper(r, 16)
		id["sessionContext"] = map[string]any{"attributes": map[string]any{"creationDate": t.Add(-10 * time.Minute).Format(time.RFC3339), "mfaAuthenticated": "true"}}
		rec["userIdentity"], rec["userAgent"], rec["sessionCredentialFromConsole"] = id, "AWS Internal", "true"
		return rec, "api-call"
	}
}
