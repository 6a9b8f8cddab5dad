// An Express admin panel with the classic mistakes.
const express = require('express');
const { exec, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const mysql = require('mysql2/promise');

const app = express();
const pool = mysql.createPool({ host: 'db', user: 'admin' });

app.get('/users', async (req, res) => {
  const sort = req.query.sort || 'name';
  const [rows] = await pool.query('SELECT id, name FROM users ORDER BY ' + sort);
  res.json(rows);
});

app.get('/users/:id', async (req, res) => {
  const [rows] = await pool.query('SELECT id, name FROM users WHERE id = ?', [req.params.id]);
  res.json(rows[0]);
});

app.post('/backup', (req, res) => {
  exec(`tar czf /backups/${req.body.name}.tgz /data`, (error) => {
    res.status(error ? 500 : 204).end();
  });
});

app.post('/ping', (req, res) => {
  const child = spawn('ping', ['-c', '1', req.body.host], { shell: true });
  child.on('exit', (code) => res.json({ code }));
});

app.get('/logs/:file', (req, res) => {
  const file = path.join('/var/log/app', req.params.file);
  fs.createReadStream(file).pipe(res);
});

app.get('/download', (req, res) => {
  res.sendFile(req.query.path, { root: '/srv/public' });
});

app.get('/go', (req, res) => {
  res.redirect(req.query.to);
});

app.listen(3000);
