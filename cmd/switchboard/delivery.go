package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/switchboard/switchboard/internal/notify"
	"github.com/switchboard/switchboard/internal/profile"
	"github.com/switchboard/switchboard/internal/service"
)

// deliveryFlags configure mail, SMS and push, and the provisioning base.
type deliveryFlags struct {
	smtpAddr, smtpUser, smtpPasswordFile, smtpFrom string
	smsURL, smsTokenFile                           string
	smsForm, smsLog                                bool
	apnsKeyFile, apnsKeyID, apnsTeamID             string
	apnsSandbox, pushLog                           bool
	fcmServiceAccount                              string
	provisioningBase                               string
}

func (f *deliveryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.smtpAddr, "smtp-addr", "", "SMTP submission server for activation mail, host:port (STARTTLS when offered)")
	fs.StringVar(&f.smtpUser, "smtp-user", "", "SMTP AUTH user")
	fs.StringVar(&f.smtpPasswordFile, "smtp-password-file", "", "file holding the SMTP AUTH password")
	fs.StringVar(&f.smtpFrom, "smtp-from", "", "sender address of activation mail")
	fs.StringVar(&f.smsURL, "sms-url", "", "HTTP SMS gateway receiving {\"to\",\"text\"}")
	fs.StringVar(&f.smsTokenFile, "sms-token-file", "", "file holding the gateway's bearer token")
	fs.BoolVar(&f.smsForm, "sms-form", false, "post to the SMS gateway as a form instead of JSON")
	fs.BoolVar(&f.smsLog, "sms-log", false, "development: write SMS (and their codes) to the log instead of sending them")
	fs.StringVar(&f.apnsKeyFile, "apns-key-file", "", "APNs .p8 provider key")
	fs.StringVar(&f.apnsKeyID, "apns-key-id", "", "APNs key id")
	fs.StringVar(&f.apnsTeamID, "apns-team-id", "", "APNs team id")
	fs.BoolVar(&f.apnsSandbox, "apns-sandbox", false, "send pn_provider apns to the APNs sandbox too")
	fs.StringVar(&f.fcmServiceAccount, "fcm-service-account", "", "FCM service account JSON file")
	fs.BoolVar(&f.pushLog, "push-log", false, "development: write push notifications (and their account-creation tokens) to the log instead of sending them")
	fs.StringVar(&f.provisioningBase, "provisioning-base", "", "liblinphone XML that every /provisioning answer starts from")
}

func readSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

func (f *deliveryFlags) build(logger *slog.Logger) (service.Delivery, *profile.LinphoneConfig, error) {
	var d service.Delivery
	if f.smtpAddr != "" {
		if f.smtpFrom == "" {
			return d, nil, errors.New("--smtp-addr needs --smtp-from")
		}
		pw, err := readSecret(f.smtpPasswordFile)
		if err != nil {
			return d, nil, fmt.Errorf("--smtp-password-file: %w", err)
		}
		d.Mailer = notify.NewSMTP(notify.SMTPConfig{Addr: f.smtpAddr, User: f.smtpUser, Password: pw, From: f.smtpFrom})
	}
	switch {
	case f.smsURL != "":
		tok, err := readSecret(f.smsTokenFile)
		if err != nil {
			return d, nil, fmt.Errorf("--sms-token-file: %w", err)
		}
		d.SMS = &notify.SMSGateway{URL: f.smsURL, Token: tok, Form: f.smsForm}
	case f.smsLog:
		d.SMS = notify.LogSMS{Logger: logger}
	}
	if f.pushLog {
		if f.apnsKeyFile != "" || f.fcmServiceAccount != "" {
			return d, nil, errors.New("--push-log sends no push: leave out --apns-key-file and --fcm-service-account")
		}
		d.Push = notify.LogPush{Logger: logger}
	}
	providers := notify.Providers{}
	if f.apnsKeyFile != "" {
		data, err := os.ReadFile(f.apnsKeyFile)
		if err != nil {
			return d, nil, fmt.Errorf("--apns-key-file: %w", err)
		}
		key, err := notify.ParseP8(data)
		if err != nil {
			return d, nil, fmt.Errorf("--apns-key-file: %w", err)
		}
		h2 := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true}}
		prod := &notify.APNs{BaseURL: "https://api.push.apple.com", KeyID: f.apnsKeyID, TeamID: f.apnsTeamID, Key: key, Client: h2}
		dev := &notify.APNs{BaseURL: "https://api.sandbox.push.apple.com", KeyID: f.apnsKeyID, TeamID: f.apnsTeamID, Key: key, Client: h2}
		providers["apns"], providers["apns.dev"] = prod, dev
		if f.apnsSandbox {
			providers["apns"] = dev
		}
	}
	if f.fcmServiceAccount != "" {
		data, err := os.ReadFile(f.fcmServiceAccount)
		if err != nil {
			return d, nil, fmt.Errorf("--fcm-service-account: %w", err)
		}
		fcm, err := notify.NewFCM("https://fcm.googleapis.com", data, nil)
		if err != nil {
			return d, nil, fmt.Errorf("--fcm-service-account: %w", err)
		}
		providers["fcm"] = fcm
	}
	if len(providers) > 0 {
		d.Push = providers
	}
	var base *profile.LinphoneConfig
	if f.provisioningBase != "" {
		data, err := os.ReadFile(f.provisioningBase)
		if err != nil {
			return d, nil, fmt.Errorf("--provisioning-base: %w", err)
		}
		if base, err = profile.ParseLinphone(data); err != nil {
			return d, nil, err
		}
	}
	return d, base, nil
}
