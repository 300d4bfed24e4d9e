# socket.sed - the packaged bulwark.conf: etc/bulwark.conf with the milter
# socket in Postfix's queue directory, where a chrooted smtpd reaches it,
# and the memory store's state kept in /var/lib/bulwark.
/^# inet6:PORT@HOST\.  For Sendmail\.  A Postfix smtpd chrooted in its queue$/,/^# (see contrib\/postfix\/README)\.$/c\
# inet6:PORT@HOST.  The package puts it in Postfix's queue directory,\
# in /var/spool/postfix/bulwark (made by the package when Postfix is\
# installed; after installing Postfix later, run "dpkg-reconfigure\
# bulwark"), so that a chrooted smtpd reaches it as\
#     smtpd_milters = unix:bulwark/bulwark.sock\
# With Sendmail: "unix:/run/bulwark/bulwark.sock".
s|^socket = "unix:/run/bulwark/bulwark\.sock";$|socket = "unix:/var/spool/postfix/bulwark/bulwark.sock";|
s|^state_file = "";$|state_file = "/var/lib/bulwark/state";|
